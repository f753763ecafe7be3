import type Redis from 'ioredis';
import { MIRRORED_HASH_PRESENT_FIELD } from '@falaj/contracts';
import { RedisHashMirror } from './redis-hash.mirror';

/** A mirror over a fake connection whose HGETALL answers what the test puts in `hash`. */
class Mirror extends RedisHashMirror {
  view: Record<string, string> = {};
  constructor(readonly hash: { fields: Record<string, string> }) {
    super({ hgetall: async () => ({ ...hash.fields }) } as unknown as Redis, {} as Redis, 'k', 'c');
  }
  protected apply(fields: Record<string, string>): void {
    this.view = fields;
  }
  protected reloadFailed(): void {}
}

describe(RedisHashMirror.name, () => {
  describe('reload', () => {
    it("takes the writer's hash whole, without its present field", async () => {
      const mirror = new Mirror({ fields: { [MIRRORED_HASH_PRESENT_FIELD]: '1', a: 'x' } });
      await mirror.reload();
      expect(mirror.view).toEqual({ a: 'x' });
      expect(mirror.present).toBe(true);
    });

    it('keeps its last view when Redis lost the hash, and says so, until the writer rebuilds it', async () => {
      const hash = { fields: { [MIRRORED_HASH_PRESENT_FIELD]: '1', a: 'x' } as Record<string, string> };
      const mirror = new Mirror(hash);
      await mirror.reload();
      hash.fields = {};
      await mirror.reload();
      expect(mirror.view).toEqual({ a: 'x' });
      expect(mirror.present).toBe(false);
      // One write landed on the lost hash: still not the writer's whole hash.
      hash.fields = { b: 'y' };
      await mirror.reload();
      expect(mirror.view).toEqual({ a: 'x' });
      hash.fields = { [MIRRORED_HASH_PRESENT_FIELD]: '1', b: 'y' };
      await mirror.reload();
      expect(mirror.view).toEqual({ b: 'y' });
      expect(mirror.present).toBe(true);
    });

    it('takes a hash that was never marked as it is (nothing to keep), not present', async () => {
      const mirror = new Mirror({ fields: { a: 'x' } });
      await mirror.reload();
      expect(mirror.view).toEqual({ a: 'x' });
      expect(mirror.present).toBe(false);
    });

    it('tells an emptied hash (present field only) from a lost one', async () => {
      const hash = { fields: { [MIRRORED_HASH_PRESENT_FIELD]: '1', a: 'x' } as Record<string, string> };
      const mirror = new Mirror(hash);
      await mirror.reload();
      hash.fields = { [MIRRORED_HASH_PRESENT_FIELD]: '1' };
      await mirror.reload();
      expect(mirror.view).toEqual({});
      expect(mirror.present).toBe(true);
    });
  });
});
