import { createHash, type Hash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';

/**
 * Passes a body on unchanged while hashing it (SHA-256): the fingerprint of a streamed call is
 * taken from the bytes its handler read, without holding them.
 */
export class BodyDigest extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private ended = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    this.ended = true;
    done();
  }

  /** The digest of the whole body, or undefined when it was not read to its end. */
  complete(): string | undefined {
    return this.ended ? this.hash.copy().digest('hex') : undefined;
  }
}

/** Reads a body to its end, keeping only its digest (a retry's body, never sent on). */
export async function drainDigest(body: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of body) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
