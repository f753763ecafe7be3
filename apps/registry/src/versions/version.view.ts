import type { ModelVersionEntity } from '../catalog';

/** The public shape of a version (no internal ids). */
export function toVersionView(model: string, v: ModelVersionEntity, aliases: readonly string[] = []) {
  return {
    model,
    version: v.version,
    stage: v.stage,
    aliases,
    sha256: v.sha256,
    sizeBytes: v.sizeBytes,
    signature: v.signature,
    opset: v.opset,
    producer: v.producer,
    parameterCount: v.parameterCount,
    lineage: v.lineage,
    createdBy: v.createdBy,
    createdAt: v.createdAt,
    stageChangedAt: v.stageChangedAt,
    stageChangedBy: v.stageChangedBy,
  };
}

export const VERSION_EXAMPLE = {
  model: 'fraud-scorer',
  version: 3,
  stage: 'production',
  aliases: ['champion'],
  sha256: '9f2c0d4e6b8a1c3e5f7a9b1d3f5e7c9a1b3d5f7e9c1a3b5d7f9e1c3a5b7d9f1e',
  sizeBytes: 104857600,
  signature: { inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }], outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }] },
  opset: 17,
  producer: 'pytorch',
  parameterCount: 26214400,
  lineage: { sourceRun: 'mlflow:runs/8f3e', dataset: 's3://datasets/fraud/2026-11', metrics: { auc: 0.941 } },
  createdBy: 'alice',
  createdAt: '2026-11-28T12:00:00.000Z',
  stageChangedAt: '2026-11-28T12:05:00.000Z',
  stageChangedBy: 'alice',
};
