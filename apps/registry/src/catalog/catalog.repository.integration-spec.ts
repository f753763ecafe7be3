import type { DataSource } from 'typeorm';
import { ScratchDatabase } from '../../../../test/support/scratch-database';
import { CatalogReader } from './catalog.reader';
import { CatalogRepository, type NewVersion } from './catalog.repository';
import type { DeploymentSpec } from './deployment-spec';
import type { ModelEntity } from './model.entity';

const ACTOR = { actor: 'alice', reason: 'test' };

const upload = (n: number): NewVersion => ({
  sha256: String(n).repeat(64).slice(0, 64),
  sizeBytes: 10 * n,
  signature: { inputs: [], outputs: [] },
  opset: 17,
  producer: 'test',
  parameterCount: 1,
  lineage: {},
  createdBy: 'alice',
});

const spec = (targets: [number, number][]): DeploymentSpec => ({
  targets: targets.map(([version, weight]) => ({ version, weight })),
  shadow: null,
  hardware: 'cpu',
  serving: {},
  slaP95Ms: null,
  regions: [],
});

/**
 * Real Postgres (a scratch database, migrated as the registry migrates), real CatalogRepository
 * and CatalogReader; nothing mocked. The catalog's own rules: the model lock, stage changes
 * under the stage-transition policy, numbered deployment revisions, the cascade on delete.
 */
describe(CatalogRepository.name, () => {
  const scratch = new ScratchDatabase('catalog_repo');
  let db: DataSource;
  let catalog: CatalogRepository;
  let reader: CatalogReader;

  beforeAll(async () => {
    db = await scratch.open();
    catalog = new CatalogRepository(db);
    reader = new CatalogReader(db);
  });

  afterAll(async () => {
    await db?.destroy();
    await scratch.drop();
  });

  let names = 0;
  async function modelWith(versions: number): Promise<ModelEntity> {
    const model = await catalog.createModel({ tenantId: 'acme', name: `m${++names}`, description: '', labels: {}, owner: '', payloadLogging: null, createdBy: 'alice' });
    for (let i = 1; i <= versions; i++) await catalog.changeModel(model.id, (tx) => catalog.addVersion(tx, model.id, upload(i), { actor: 'alice', reason: 'registered' }));
    return model;
  }

  const stages = async (model: ModelEntity) => Object.fromEntries(await catalog.stagesOf(model.id));

  describe('lock', () => {
    it('makes a second change of one model wait for the first to commit, and see what it did', async () => {
      const model = await modelWith(3);
      await catalog.changeModel(model.id, (tx) => catalog.serveExactly(tx, model.id, [1], ACTOR));
      const order: string[] = [];
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let entered!: () => void;
      const firstIn = new Promise<void>((resolve) => (entered = resolve));
      const first = catalog.changeModel(model.id, async (tx) => {
        await catalog.serveExactly(tx, model.id, [2], ACTOR);
        order.push('first changed');
        entered();
        await held;
        order.push('first commits');
      });
      await firstIn;
      const second = catalog.changeModel(model.id, async (tx) => {
        order.push('second in');
        await catalog.serveExactly(tx, model.id, [3], ACTOR);
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(order).toEqual(['first changed']);
      release();
      await Promise.all([first, second]);
      expect(order).toEqual(['first changed', 'first commits', 'second in']);
      // Without the lock the second reads version 1 as production (the first's change unseen),
      // demotes it, and leaves versions 2 and 3 both in production.
      await expect(stages(model)).resolves.toEqual({ 1: 'staging', 2: 'staging', 3: 'production' });
    });

    it('gives concurrent uploads of one model consecutive version numbers', async () => {
      const model = await modelWith(0);
      const made = await Promise.all([1, 2, 3, 4, 5].map((n) => catalog.changeModel(model.id, (tx) => catalog.addVersion(tx, model.id, upload(n), ACTOR))));
      expect(made.map((v) => v.version).sort()).toEqual([1, 2, 3, 4, 5]);
    });
  });

  describe('addVersion', () => {
    it('numbers versions from 1 and records each as a draft, with its first transition', async () => {
      const model = await modelWith(2);
      await expect(catalog.versions(model.id)).resolves.toMatchObject([
        { version: 1, stage: 'draft', sha256: upload(1).sha256 },
        { version: 2, stage: 'draft', sha256: upload(2).sha256 },
      ]);
      await expect(catalog.transitions(model.id)).resolves.toMatchObject([
        { version: 1, fromStage: null, toStage: 'draft', reason: 'registered' },
        { version: 2, fromStage: null, toStage: 'draft', reason: 'registered' },
      ]);
    });
  });

  describe('setStage', () => {
    it('moves a version where the policy allows, and writes the transition: who, from, to, why', async () => {
      const model = await modelWith(1);
      const [v1] = await catalog.versions(model.id);
      const moved = await catalog.changeModel(model.id, (tx) => catalog.setStage(tx, v1, 'staging', { actor: 'bob', reason: 'passed evaluation' }));
      expect(moved).toMatchObject({ stage: 'staging', stageChangedBy: 'bob' });
      await expect(catalog.version(model.id, 1)).resolves.toMatchObject({ stage: 'staging', stageChangedBy: 'bob' });
      const transitions = await catalog.transitions(model.id, { version: 1 });
      expect(transitions.at(-1)).toMatchObject({ fromStage: 'draft', toStage: 'staging', actor: 'bob', reason: 'passed evaluation' });
    });

    it('refuses what the policy refuses (archived to production, a move to where it is), and writes nothing', async () => {
      const model = await modelWith(1);
      const [v1] = await catalog.versions(model.id);
      await catalog.changeModel(model.id, (tx) => catalog.setStage(tx, v1, 'archived', ACTOR));
      const before = await catalog.transitions(model.id);
      const archived = (await catalog.version(model.id, 1))!;
      await expect(catalog.changeModel(model.id, (tx) => catalog.setStage(tx, archived, 'production', ACTOR))).rejects.toMatchObject({
        status: 409,
        code: 'bad_transition',
        message: 'a archived version cannot move to production',
      });
      await expect(catalog.changeModel(model.id, (tx) => catalog.setStage(tx, archived, 'archived', ACTOR))).rejects.toMatchObject({ code: 'bad_transition' });
      await expect(catalog.version(model.id, 1)).resolves.toMatchObject({ stage: 'archived' });
      await expect(catalog.transitions(model.id)).resolves.toHaveLength(before.length);
    });
  });

  describe('serveExactly', () => {
    it('makes the given versions the production set, the one serving before stepping down to staging', async () => {
      const model = await modelWith(3);
      await catalog.changeModel(model.id, (tx) => catalog.serveExactly(tx, model.id, [1], ACTOR));
      await catalog.changeModel(model.id, (tx) => catalog.serveExactly(tx, model.id, [2, 3], ACTOR));
      await expect(stages(model)).resolves.toEqual({ 1: 'staging', 2: 'production', 3: 'production' });
      await expect(catalog.productionVersions(model.id)).resolves.toEqual([2, 3]);
      const moves = (await catalog.transitions(model.id)).filter((t) => t.fromStage !== null).map((t) => `${t.version}:${t.fromStage}->${t.toStage}`);
      expect(moves).toEqual(['1:draft->production', '1:production->staging', '2:draft->production', '3:draft->production']);
    });
  });

  describe('writeRevision', () => {
    it('makes each change a new revision, numbered from 1, a removal included', async () => {
      const model = await modelWith(2);
      const first = await catalog.changeModel(model.id, (tx) => catalog.writeRevision(tx, model.id, spec([[1, 100]]), { actor: 'alice', reason: 'first' }));
      const second = await catalog.changeModel(model.id, (tx) =>
        catalog.writeRevision(
          tx,
          model.id,
          spec([
            [1, 90],
            [2, 10],
          ]),
          { actor: 'bob', reason: 'canary' },
        ),
      );
      expect([first.revision, second.revision]).toEqual([1, 2]);
      await expect(catalog.deployment(model.id)).resolves.toMatchObject({
        revision: 2,
        updatedBy: 'bob',
        spec: {
          targets: [
            { version: 1, weight: 90 },
            { version: 2, weight: 10 },
          ],
        },
      });
      const removed = await catalog.changeModel(model.id, (tx) => catalog.writeRevision(tx, model.id, null, { actor: 'alice', reason: 'removed' }));
      expect(removed.revision).toBe(3);
      await expect(catalog.deployment(model.id)).resolves.toBeNull();
      const again = await catalog.changeModel(model.id, (tx) => catalog.writeRevision(tx, model.id, spec([[2, 100]]), ACTOR));
      expect(again.revision).toBe(4);
      const history = await reader.revisions(model.id);
      expect(history.map((r) => [r.revision, r.reason, r.spec?.targets.map((t) => t.version) ?? null])).toEqual([
        [1, 'first', [1]],
        [2, 'canary', [1, 2]],
        [3, 'removed', null],
        [4, 'test', [2]],
      ]);
      await expect(catalog.revision(model.id, 2)).resolves.toMatchObject({ actor: 'bob', reason: 'canary' });
    });

    it('numbers two concurrent changes of one deployment one after the other', async () => {
      const model = await modelWith(1);
      const written = await Promise.all([1, 2, 3].map(() => catalog.changeModel(model.id, (tx) => catalog.writeRevision(tx, model.id, spec([[1, 100]]), ACTOR))));
      expect(written.map((d) => d.revision).sort()).toEqual([1, 2, 3]);
    });
  });

  describe('deleteModel', () => {
    it("removes the model's versions, aliases, transitions, deployment and revisions, and no other model's", async () => {
      const gone = await modelWith(2);
      const kept = await modelWith(1);
      for (const model of [gone, kept]) {
        await catalog.setAlias(model.id, 'champion', 1, 'alice');
        await catalog.changeModel(model.id, (tx) => catalog.writeRevision(tx, model.id, spec([[1, 100]]), ACTOR));
      }
      await catalog.changeModel(gone.id, (tx) => catalog.deleteModel(tx, gone.id));
      await expect(reader.model('acme', gone.name)).resolves.toBeNull();
      await expect(catalog.versions(gone.id)).resolves.toEqual([]);
      await expect(reader.aliases(gone.id)).resolves.toEqual([]);
      await expect(catalog.transitions(gone.id)).resolves.toEqual([]);
      await expect(catalog.deployment(gone.id)).resolves.toBeNull();
      await expect(reader.revisions(gone.id)).resolves.toEqual([]);
      await expect(catalog.versions(kept.id)).resolves.toHaveLength(1);
      await expect(reader.aliases(kept.id)).resolves.toMatchObject([{ alias: 'champion', version: 1 }]);
      await expect(catalog.deployment(kept.id)).resolves.toMatchObject({ revision: 1 });
    });
  });
});
