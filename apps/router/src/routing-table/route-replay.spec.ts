import { servingDeployment, type DeploymentState, type ModelLifecycleEvent, type ServingVersion } from '@falaj/contracts';
import { lifecycleRoute } from './lifecycle-route.policy';
import { RouteReplay } from './route-replay';

const v1: ServingVersion = {
  version: 1,
  artifact: { sha256: 'a'.repeat(64), sizeBytes: 10, downloadPath: '/internal/artifacts/x' },
  signature: { inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }], outputs: [{ name: 'output', datatype: 'FP32', shape: [-1, 3] }] },
};

let at = Date.parse('2026-12-01T00:00:00Z');
function event(model: string, type: ModelLifecycleEvent['type'], production: ServingVersion | null): ModelLifecycleEvent {
  at += 1000;
  return { type, tenantId: 'acme', model, version: production?.version ?? null, stage: production ? 'production' : null, production, actor: 'test', occurredAt: new Date(at).toISOString() };
}

/** A model's history as the compacted topic keeps it before compaction ran: created, registered, promoted. */
const history = (model: string) => [event(model, 'model.created', null), event(model, 'version.registered', null), event(model, 'version.stage-changed', v1)];
const on = (partition: number, events: ModelLifecycleEvent[]) => events.map((value) => ({ partition, value }));

describe(RouteReplay.name, () => {
  describe('take', () => {
    it("applies nothing of a replay until its partition is read to the end, then only each model's latest state", () => {
      const replay = new RouteReplay();
      replay.assigned([0, 1]);
      expect(replay.take(on(0, [...history('a'), ...history('b')]))).toEqual([]);
      const end = replay.caughtUp(0);
      expect(end.map((c) => [c.field, c.event.production?.version ?? null])).toEqual([
        ['acme/a', 1],
        ['acme/b', 1],
      ]);
      // No route is ever removed on the way: every state applied has a production version.
      expect(end.every((c) => lifecycleRoute(c.event, 'ae') !== null)).toBe(true);
    });

    it("applies events as they come once the partition is live, the batch's latest per model", () => {
      const replay = new RouteReplay();
      replay.assigned([0]);
      replay.take(on(0, history('a')));
      replay.applied(0);
      const live = replay.take(on(0, [event('a', 'version.stage-changed', null), event('c', 'model.created', null), event('a', 'deployment.changed', v1)]));
      expect(live.map((c) => [c.field, c.event.type])).toEqual([
        ['acme/a', 'deployment.changed'],
        ['acme/c', 'model.created'],
      ]);
    });

    it('goes back to compacting when a rebalance assigns the partition again', () => {
      const replay = new RouteReplay();
      replay.assigned([0]);
      replay.take(on(0, history('a')));
      replay.applied(0);
      replay.assigned([0]);
      expect(replay.take(on(0, history('a').slice(0, 1)))).toEqual([]); // the old "created": no removal
      expect(replay.take(on(0, history('a').slice(1)))).toEqual([]);
      expect(replay.caughtUp(0).map((c) => c.event.production?.version)).toEqual([1]);
    });

    it('treats events of a partition it was not told about as a replay', () => {
      const replay = new RouteReplay();
      expect(replay.take(on(3, history('a')))).toEqual([]);
      expect(replay.caughtUp(3)).toHaveLength(1);
    });
  });

  describe('caughtUp', () => {
    it('keeps the pending state until applied, so a failed write is retried whole', () => {
      const replay = new RouteReplay();
      replay.assigned([0]);
      replay.take(on(0, history('a')));
      expect(replay.caughtUp(0)).toHaveLength(1);
      expect(replay.caughtUp(0)).toHaveLength(1);
      replay.applied(0);
      expect(replay.caughtUp(0)).toEqual([]);
    });

    it('removes the route of a model whose latest state has none (deleted)', () => {
      const replay = new RouteReplay();
      replay.assigned([0]);
      replay.take(on(0, [...history('a'), event('a', 'model.deleted', null)]));
      const [change] = replay.caughtUp(0);
      expect(lifecycleRoute(change.event, 'ae')).toBeNull();
    });
  });

  describe('owns', () => {
    it('says which partitions the last assignment gave', () => {
      const replay = new RouteReplay();
      replay.assigned([1, 2]);
      expect([0, 1, 2].map((p) => replay.owns(p))).toEqual([false, true, true]);
    });
  });
});

describe('lifecycleRoute', () => {
  const v2: ServingVersion = { ...v1, version: 2, artifact: { ...v1.artifact, sha256: 'b'.repeat(64) } };
  const deployment = (extra: Partial<DeploymentState>): DeploymentState => ({
    revision: 3,
    targets: [
      { ...v1, weight: 90 },
      { ...v2, weight: 10 },
    ],
    shadow: null,
    hardware: 'cpu',
    regions: [],
    slaP95Ms: null,
    ...extra,
  });
  const withDeployment = (d: DeploymentState | undefined): ModelLifecycleEvent => ({ ...event('a', 'deployment.changed', v1), deployment: d });

  it('stamps the route with the event time, so a replayed event gives the same route', () => {
    const promoted = event('a', 'version.stage-changed', v1);
    expect(JSON.stringify(lifecycleRoute(promoted, 'ae'))).toBe(JSON.stringify(lifecycleRoute(promoted, 'ae')));
    expect(lifecycleRoute(promoted, 'ae')).toMatchObject({ targets: [{ version: 1, pool: 'cpu.ae', weight: 100 }], updatedAt: promoted.occurredAt });
  });

  it('routes a production version alone to the CPU pool of the default region, with no policy fields', () => {
    const promoted = event('a', 'version.stage-changed', v1);
    expect(JSON.stringify(lifecycleRoute(promoted, 'ae'))).toBe(
      JSON.stringify({ tenantId: 'acme', model: 'a', targets: [{ version: 1, pool: 'cpu.ae', weight: 100 }], signatures: { '1': v1.signature }, updatedAt: promoted.occurredAt }),
    );
  });

  it('gives the same bytes for an event with the implicit deployment as for one from before it was published', () => {
    const old = event('a', 'version.stage-changed', v1);
    const published: ModelLifecycleEvent = { ...old, deployment: servingDeployment(old) ?? undefined };
    expect(published.deployment?.implicit).toBe(true);
    expect(JSON.stringify(lifecycleRoute(published, 'ae'))).toBe(JSON.stringify(lifecycleRoute(old, 'ae')));
  });

  it("routes a deployment's targets with its policy, on its hardware's pool", () => {
    const e = withDeployment(deployment({ shadow: v2, shadowPercent: 20, slaP95Ms: 50, regions: ['ae', 'eu'], hardware: 'gpu' }));
    expect(JSON.stringify(lifecycleRoute(e, 'ae'))).toBe(
      JSON.stringify({
        tenantId: 'acme',
        model: 'a',
        targets: [
          { version: 1, pool: 'gpu.ae', weight: 90 },
          { version: 2, pool: 'gpu.ae', weight: 10 },
        ],
        signatures: { '1': v1.signature, '2': v2.signature },
        regions: ['ae', 'eu'],
        slaP95Ms: 50,
        hardware: 'gpu',
        shadow: { version: 2, pool: 'gpu.ae', percent: 20 },
        updatedAt: e.occurredAt,
      }),
    );
  });

  it('places a deployment outside the default region in its first region, and `auto` on the nominal CPU pool', () => {
    expect(lifecycleRoute(withDeployment(deployment({ regions: ['eu', 'us'] })), 'ae')?.targets.map((t) => t.pool)).toEqual(['cpu.eu', 'cpu.eu']);
    expect(lifecycleRoute(withDeployment(deployment({ hardware: 'auto' })), 'ae')).toMatchObject({ hardware: 'auto', regions: [], slaP95Ms: null, targets: [{ pool: 'cpu.ae' }, { pool: 'cpu.ae' }] });
  });

  it('is none for a model with nothing in production, or deleted', () => {
    expect(lifecycleRoute(event('a', 'model.created', null), 'ae')).toBeNull();
    expect(lifecycleRoute({ ...withDeployment(deployment({})), type: 'model.deleted' }, 'ae')).toBeNull();
  });
});
