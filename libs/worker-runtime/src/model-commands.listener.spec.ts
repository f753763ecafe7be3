import { servingDeployment, type ModelLifecycleEvent, type ServingVersion } from '@falaj/contracts';
import { ServingPlan, lifecycleVersions } from './model-commands.listener';

const version = (n: number): ServingVersion => ({
  version: n,
  signature: { inputs: [], outputs: [] },
  artifact: { sha256: String(n).repeat(64).slice(0, 64), sizeBytes: 1, downloadPath: '/internal/artifacts/x' },
});
const event = (extra: Partial<ModelLifecycleEvent>): ModelLifecycleEvent => ({
  type: 'deployment.changed',
  tenantId: 'acme',
  model: 'm',
  version: null,
  stage: null,
  production: version(1),
  actor: 'a',
  occurredAt: new Date().toISOString(),
  ...extra,
});
const at = new Date().toISOString();

describe('lifecycleVersions', () => {
  it('is the production version without a deployment (an event from before it was always published)', () => {
    expect(lifecycleVersions(event({}))).toEqual([version(1)]);
  });

  it('is the production version with the implicit deployment the registry publishes for it', () => {
    const old = event({});
    expect(lifecycleVersions({ ...old, deployment: servingDeployment(old) ?? undefined })).toEqual([version(1)]);
  });

  it('is every target and the shadow with one', () => {
    const deployment = {
      revision: 1,
      targets: [
        { ...version(1), weight: 90 },
        { ...version(2), weight: 10 },
      ],
      shadow: version(3),
      hardware: 'cpu' as const,
      regions: [],
      slaP95Ms: null,
    };
    expect(lifecycleVersions(event({ deployment }))).toEqual([version(1), version(2), version(3)]);
  });

  it('is nothing once the model is deleted', () => {
    expect(lifecycleVersions(event({ type: 'model.deleted' }))).toEqual([]);
  });
});

describe(ServingPlan.name, () => {
  /** A recording host: the plan's one collaborator, so the calls are the behaviour. */
  const served: number[][] = [];
  const plan = new ServingPlan({ serve: async (_t, _m, s) => void served.push(s === null ? [] : 'version' in s ? [s.version] : s.map((v) => v.version)) });

  it('adds explicitly loaded versions, drops explicitly unloaded ones, and clears overrides', async () => {
    await plan.setLifecycle('acme', 'm', [version(1)]);
    await plan.override({ command: 'load', serving: version(2), tenantId: 'acme', model: 'm', actor: 'op', occurredAt: at });
    await plan.override({ command: 'unload', version: 1, tenantId: 'acme', model: 'm', actor: 'op', occurredAt: at });
    await plan.override({ command: 'clear', version: 1, tenantId: 'acme', model: 'm', actor: 'op', occurredAt: at });
    expect(served).toEqual([[1], [1, 2], [2], [1, 2]]);
  });

  it('forgets the overrides of a deleted model', async () => {
    await plan.setLifecycle('acme', 'm', [], true);
    expect(plan.desired('acme', 'm')).toEqual([]);
  });

  describe('in a region', () => {
    const held: number[][] = [];
    const eu = new ServingPlan({ serve: async (_t, _m, s) => void held.push(s === null ? [] : 'version' in s ? [s.version] : s.map((v) => v.version)) }, 'eu');

    it("holds a tenant's versions only where its regions include the worker's, and drops them when they stop", async () => {
      await eu.setLifecycle('euco', 'm', [version(1)], false, ['eu']);
      await eu.setLifecycle('acme', 'm', [version(1)], false, ['ae']);
      expect(eu.desired('euco', 'm').map((v) => v.version)).toEqual([1]);
      expect(eu.desired('acme', 'm')).toEqual([]);
      await eu.setLifecycle('euco', 'm', [version(1)], false, ['ae']);
      expect(held.at(-1)).toEqual([]);
    });

    it('refuses an explicit load of a tenant of another region, and changes nothing', async () => {
      await expect(eu.override({ command: 'load', serving: version(2), tenantId: 'acme', model: 'm', regions: ['ae'], actor: 'op', occurredAt: at })).resolves.toBe(false);
      expect(eu.desired('acme', 'm')).toEqual([]);
      await expect(eu.override({ command: 'load', serving: version(2), tenantId: 'euco', model: 'm', regions: ['eu'], actor: 'op', occurredAt: at })).resolves.toBe(true);
      expect(eu.desired('euco', 'm').map((v) => v.version)).toEqual([2]);
    });
  });
});
