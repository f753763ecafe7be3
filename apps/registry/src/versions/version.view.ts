import type { ModelVersionEntity } from './model-version.entity';

/** The public shape of a version (no internal ids). */
export function toVersionView(model: string, v: ModelVersionEntity) {
  return {
    model,
    version: v.version,
    stage: v.stage,
    sha256: v.sha256,
    sizeBytes: v.sizeBytes,
    signature: v.signature,
    createdBy: v.createdBy,
    createdAt: v.createdAt,
    stageChangedAt: v.stageChangedAt,
    stageChangedBy: v.stageChangedBy,
  };
}
