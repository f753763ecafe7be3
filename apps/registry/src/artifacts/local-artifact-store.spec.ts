import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
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
});
