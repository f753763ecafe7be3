import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { ArtifactTooLargeError } from './artifact-store';
import { LocalArtifactStore } from './local-artifact-store';

/** Real files in a temp folder: the store is the filesystem, nothing to mock. */
describe(LocalArtifactStore.name, () => {
  const root = mkdtempSync(join(tmpdir(), 'falaj-store-'));
  const store = new LocalArtifactStore(root);
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');

  describe('stage', () => {
    it('hashes while streaming and keeps the bytes under their hash once committed', async () => {
      const staged = await store.stage(Readable.from([Buffer.from('hello '), Buffer.from('model')]), 1024);
      expect(staged).toMatchObject({ sha256: sha('hello model'), sizeBytes: 11 });
      await staged.commit();
      await expect(text((await store.open(sha('hello model')))!)).resolves.toBe('hello model');
      expect(existsSync(join(root, 'sha256', sha('hello model').slice(0, 2), `${sha('hello model')}.onnx`))).toBe(true);
      expect(readdirSync(join(root, 'incoming'))).toEqual([]);
    });

    it('stages each upload alone in its own folder and leaves nothing when discarded', async () => {
      const a = await store.stage(Readable.from([Buffer.from('a')]), 1024);
      const b = await store.stage(Readable.from([Buffer.from('b')]), 1024);
      expect(join(a.localPath, '..')).not.toBe(join(b.localPath, '..'));
      await a.discard();
      await b.discard();
      expect(readdirSync(join(root, 'incoming'))).toEqual([]);
    });

    it('refuses past the size limit and leaves nothing behind', async () => {
      await expect(store.stage(Readable.from([Buffer.alloc(600), Buffer.alloc(600)]), 1000)).rejects.toBeInstanceOf(ArtifactTooLargeError);
      expect(readdirSync(join(root, 'incoming'))).toEqual([]);
    });

    it('leaves a refused source alive and drains it, so its connection can still carry the refusal', async () => {
      const source = new PassThrough();
      const staging = store.stage(source, 1000);
      source.write(Buffer.alloc(1500));
      await expect(staging).rejects.toBeInstanceOf(ArtifactTooLargeError);
      expect(source.destroyed).toBe(false);
      // What the client still sends is read and dropped, to its end.
      const ended = new Promise((resolve) => source.once('end', resolve));
      source.write(Buffer.alloc(64 * 1024));
      source.end(Buffer.alloc(64 * 1024));
      await ended;
    });

    it('fails an upload whose source closes before its end', async () => {
      const source = new PassThrough();
      const staging = store.stage(source, 1_000_000);
      source.write(Buffer.alloc(100));
      source.destroy();
      await expect(staging).rejects.toThrow(/ended before its end|premature close/i);
      expect(readdirSync(join(root, 'incoming'))).toEqual([]);
    });
  });

  describe('open', () => {
    it.each([
      ['a relative path', '../../etc/passwd'],
      ['an absolute path', '/etc/passwd'],
      ['a hash with a path suffix', `${'a'.repeat(64)}/../../x`],
      ['upper-case hex', 'A'.repeat(64)],
      ['an encoded traversal', '..%2f..%2fetc%2fpasswd'],
    ])('answers null for %s, never reading outside the store', async (_case, name) => {
      writeFileSync(join(root, 'outside.txt'), 'secret');
      await expect(store.open(name)).resolves.toBeNull();
    });

    it('answers null for a well-formed hash it does not hold', async () => {
      await expect(store.open('0'.repeat(64))).resolves.toBeNull();
    });
  });

  describe('collect', () => {
    const put = async (content: string) => {
      const staged = await store.stage(Readable.from([Buffer.from(content)]), 1024);
      await staged.commit();
      return staged.sha256;
    };

    it('lists stored artifacts and removes one no version holds', async () => {
      const hash = await put('orphan');
      expect((await fromAsync(store.list())).map((a) => a.sha256)).toContain(hash);
      await expect(store.collect(hash, async () => false)).resolves.toBe(true);
      await expect(store.open(hash)).resolves.toBeNull();
      expect(readdirSync(join(root, 'trash'))).toEqual([]);
    });

    it('puts the bytes back when a version came to hold them while they were set aside', async () => {
      const hash = await put('shared');
      await expect(store.collect(hash, async () => true)).resolves.toBe(false);
      await expect(text((await store.open(hash))!)).resolves.toBe('shared');
    });

    it('keeps the bytes a concurrent upload commits while the check runs', async () => {
      const hash = await put('raced');
      await expect(
        store.collect(hash, async () => {
          await put('raced'); // the upload's record committed before this check: its rename lands now
          return false;
        }),
      ).resolves.toBe(true);
      await expect(text((await store.open(hash))!)).resolves.toBe('raced');
    });
  });
});

async function fromAsync<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
