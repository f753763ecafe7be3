import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ArtifactStore, ArtifactTooLargeError, type StagedArtifact } from './artifact-store';

const SHA256 = /^[0-9a-f]{64}$/;

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
      await pipeline(source, meter, createWriteStream(localPath));
    } catch (error) {
      await rm(folder, { recursive: true, force: true });
      // Drain what the client still sends so the connection can carry the error reply.
      source.resume();
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

  private pathOf(sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error('not a sha256 hex digest');
    const path = join(this.root, 'sha256', sha256.slice(0, 2), `${sha256}.onnx`);
    // Belt and braces: whatever produced the name, the path stays under the root.
    if (!path.startsWith(this.root + sep)) throw new Error('artifact path escapes the store');
    return path;
  }
}
