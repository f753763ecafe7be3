import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ArtifactStore, ArtifactTooLargeError, type StagedArtifact } from './artifact-store';

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * Writes `source` through `meter` into `sink`. The source (the request's body) is piped, not
 * put in the pipeline: a pipeline destroys every stream on an error, and a destroyed request
 * closes its connection before the refusal (a 413 past the size limit or the tenant's storage
 * quota) can be written on it — the caller, or the gateway proxying it, then waits for an answer
 * that never comes. On a refusal the source is unpiped and drained, so the answer goes out; a
 * source that errors or closes before its end (the client went away) fails the write.
 */
export async function stageFrom(source: Readable, meter: Transform, sink: NodeJS.WritableStream & Writable): Promise<void> {
  const cutOff = (error?: Error) => meter.destroy(error ?? new Error('the upload ended before its end'));
  const onClose = () => {
    if (!source.readableEnded) cutOff();
  };
  source.once('error', cutOff);
  source.once('close', onClose);
  // It may have gone already, while the staging folder was made.
  if (source.destroyed) onClose();
  source.pipe(meter);
  try {
    await pipeline(meter, sink);
  } catch (error) {
    source.unpipe(meter);
    // Drained to its end (or its client's going away, which is no longer this upload's error).
    source.on('error', () => undefined);
    source.resume();
    throw error;
  } finally {
    source.off('error', cutOff);
    source.off('close', onClose);
  }
}

/**
 * Artifacts under `<root>/sha256/<first two hex>/<hash>.onnx`. Paths are built only from a
 * validated hash, never from user input, so no name can escape the root. Each upload is staged
 * alone in a fresh folder (`incoming/<uuid>/model.onnx`): a model's external-data location is
 * resolved by onnxruntime against that folder, which holds nothing else to be read.
 */
export class LocalArtifactStore extends ArtifactStore {
  private readonly root: string;

  constructor(root: string) {
    super();
    this.root = resolve(root);
  }

  async stage(source: Readable, maxBytes: number): Promise<StagedArtifact> {
    const folder = join(this.root, 'incoming', randomUUID());
    await mkdir(folder, { recursive: true });
    const localPath = join(folder, 'model.onnx');
    const hash = createHash('sha256');
    let sizeBytes = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        sizeBytes += chunk.length;
        if (sizeBytes > maxBytes) return done(new ArtifactTooLargeError(maxBytes));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await stageFrom(source, meter, createWriteStream(localPath));
    } catch (error) {
      await rm(folder, { recursive: true, force: true });
      throw error;
    }
    const sha256 = hash.digest('hex');
    const finalPath = this.pathOf(sha256);
    return {
      sha256,
      sizeBytes,
      localPath,
      commit: async () => {
        await mkdir(join(finalPath, '..'), { recursive: true });
        // Same content, same path: a second upload of identical bytes just replaces the file.
        await rename(localPath, finalPath);
        await rm(folder, { recursive: true, force: true });
      },
      discard: () => rm(folder, { recursive: true, force: true }),
    };
  }

  async open(sha256: string): Promise<Readable | null> {
    if (!SHA256.test(sha256)) return null;
    const path = this.pathOf(sha256);
    try {
      await stat(path);
    } catch {
      return null;
    }
    return createReadStream(path);
  }

  async *list(): AsyncGenerator<{ sha256: string; modifiedAt: Date }> {
    const base = join(this.root, 'sha256');
    const prefixes = await readdir(base).catch(() => [] as string[]);
    for (const prefix of prefixes) {
      for (const name of await readdir(join(base, prefix)).catch(() => [] as string[])) {
        const sha256 = name.replace(/\.onnx$/, '');
        if (!SHA256.test(sha256)) continue;
        const info = await stat(this.pathOf(sha256)).catch(() => null);
        if (info) yield { sha256, modifiedAt: info.mtime };
      }
    }
  }

  async collect(sha256: string, stillReferenced: () => Promise<boolean>): Promise<boolean> {
    const path = this.pathOf(sha256);
    const trash = join(this.root, 'trash');
    await mkdir(trash, { recursive: true });
    const aside = join(trash, `${sha256}.${randomUUID()}`);
    try {
      await rename(path, aside);
    } catch {
      return false; // gone already
    }
    // A version recorded before this check commits its bytes after its record: if it shows up
    // now, its file may be the one set aside; if it shows up later, its own rename puts the bytes back.
    if (await stillReferenced()) {
      await rename(aside, path);
      return false;
    }
    await rm(aside, { force: true });
    return true;
  }

  private pathOf(sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error('not a sha256 hex digest');
    const path = join(this.root, 'sha256', sha256.slice(0, 2), `${sha256}.onnx`);
    // Belt and braces: whatever produced the name, the path stays under the root.
    if (!path.startsWith(this.root + sep)) throw new Error('artifact path escapes the store');
    return path;
  }
}
