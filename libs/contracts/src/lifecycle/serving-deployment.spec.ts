import { ModelLifecycleEventSchema, type DeploymentState, type ModelLifecycleEvent, type ServingVersion } from './model-lifecycle.event';
import { servingDeployment } from './serving-deployment';

const version = (n: number): ServingVersion => ({
  version: n,
  signature: { inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }], outputs: [] },
  artifact: { sha256: String(n).repeat(64).slice(0, 64), sizeBytes: 10, downloadPath: '/internal/artifacts/x' },
});
const event = (extra: Partial<ModelLifecycleEvent>): ModelLifecycleEvent => ({
  type: 'version.stage-changed',
  tenantId: 'acme',
  model: 'mlp',
  version: 1,
  stage: 'production',
  production: version(1),
  actor: 'alice',
  occurredAt: '2026-12-01T00:00:00.000Z',
  ...extra,
});
const deployment: DeploymentState = {
  revision: 2,
  targets: [
    { ...version(1), weight: 90 },
    { ...version(2), weight: 10 },
  ],
  shadow: version(3),
  shadowPercent: 25,
  hardware: 'gpu',
  regions: ['eu'],
  slaP95Ms: 50,
};

describe('servingDeployment', () => {
  it("is the event's deployment when it carries one, whatever production says", () => {
    expect(servingDeployment(event({ deployment }))).toBe(deployment);
  });

  it('is the implicit deployment of the production version without one: all traffic, CPU, any region, no SLA or shadow', () => {
    expect(servingDeployment(event({}))).toEqual({
      revision: 1,
      targets: [{ ...version(1), weight: 100 }],
      shadow: null,
      hardware: 'cpu',
      regions: [],
      slaP95Ms: null,
      implicit: true,
    });
  });

  it('is null for a model with nothing in production', () => {
    expect(servingDeployment(event({ type: 'model.created', version: null, stage: null, production: null }))).toBeNull();
  });

  it('is null once the model is deleted, even if the event still names a version', () => {
    expect(servingDeployment(event({ type: 'model.deleted', deployment }))).toBeNull();
    expect(servingDeployment(event({ type: 'model.deleted' }))).toBeNull();
  });

  it('reads an event written before `deployment` was always set (a replay) as its production version serving alone', () => {
    const old = ModelLifecycleEventSchema.parse(JSON.parse(JSON.stringify({ ...event({}), deployment: undefined })));
    expect(old).not.toHaveProperty('deployment');
    expect(servingDeployment(old)?.targets.map((t) => [t.version, t.weight])).toEqual([[1, 100]]);
  });

  it('gives a deployment the event schema accepts, so the registry can publish it and consumers read it back as implicit', () => {
    const implicit = servingDeployment(event({}));
    const published = ModelLifecycleEventSchema.parse(JSON.parse(JSON.stringify(event({ deployment: implicit ?? undefined }))));
    expect(servingDeployment(published)).toEqual(implicit);
  });
});
