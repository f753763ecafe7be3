import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BodyDigest, drainDigest } from './body-digest';

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('BodyDigest', () => {
  it('passes the bytes on unchanged and gives the digest of the whole body once it ended', async () => {
    const parts = [Buffer.from('ab'), Buffer.from('cd'), Buffer.from('e')];
    const digest = new BodyDigest();
    const seen: Buffer[] = [];
    await pipeline(Readable.from(parts), digest, new Writable({ write: (chunk: Buffer, _e, done) => (seen.push(chunk), done()) }));
    expect(Buffer.concat(seen).toString()).toBe('abcde');
    expect(digest.complete()).toBe(sha(Buffer.from('abcde')));
  });

  it('has no digest when the body was not read to its end (a reader that stopped early)', async () => {
    const digest = new BodyDigest();
    Readable.from([Buffer.alloc(64 * 1024), Buffer.alloc(64 * 1024)]).pipe(digest);
    const reader = digest[Symbol.asyncIterator]();
    await reader.next();
    expect(digest.complete()).toBeUndefined();
    await reader.return?.();
  });

  it('drainDigest reads a body whole and keeps only its digest', async () => {
    expect(await drainDigest(Readable.from([Buffer.from('ab'), Buffer.from('cde')]))).toBe(sha(Buffer.from('abcde')));
  });
});
