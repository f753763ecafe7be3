import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ArtifactRef } from '@falaj/contracts';
import type { ArtifactCheck } from './artifact-signatures';

/** The registry could not hand over an artifact; `transient` when trying again may help. */
export class ArtifactFetchError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
  }
}

/**
 * The `Authorization` value of the worker's service token. The issuer is the registry, so failing
 * to get a token (it is not listening yet, or restarting) is as transient as the registry being
 * away: retried with the artifact's backoff, never left as a version failed for good.
 */
export async function serviceBearer(serviceToken: () => Promise<string>, what: string): Promise<string> {
  try {
    return `Bearer ${await serviceToken()}`;
  } catch (error) {
    throw new ArtifactFetchError(`${what}: no service token from the registry (${(error as Error).message})`, true);
  }
}

/**
 * Model files on the worker's disk, named by their sha256. A file is fetched from the registry
 * once, checked against its hash before it is used, and shared by every version that has the
 * same bytes.
 */
export class ArtifactCache {
  private readonly root: string;

  constructor(
    root: string,
    private readonly registryUrl: string,
    private readonly serviceToken: () => Promise<string>,
  ) {
    this.root = resolve(root);
  }

  /** The artifact's local path; `check` (its signature) runs on the bytes before they are used, cached or just downloaded. */
  async fetch(artifact: ArtifactRef, check?: ArtifactCheck): Promise<string> {
    const path = join(this.root, `${artifact.sha256}.onnx`);
    if (await exists(path)) {
      await check?.(path);
      return path;
    }
    await mkdir(this.root, { recursive: true });
    const partial = join(this.root, `${randomUUID()}.part`);
    const authorization = await serviceBearer(this.serviceToken, `artifact ${artifact.sha256}`);
    const response = await fetch(`${this.registryUrl}${artifact.downloadPath}`, {
      headers: { authorization },
    }).catch((error: Error) => {
      // The registry is down or restarting: the next try may well work.
      throw new ArtifactFetchError(`artifact ${artifact.sha256}: registry unreachable (${error.message})`, true);
    });
    if (!response.ok || !response.body) {
      throw new ArtifactFetchError(`artifact ${artifact.sha256}: registry answered ${response.status}`, response.status >= 500);
    }
    const hash = createHash('sha256');
    const hasher = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(response.body), hasher, createWriteStream(partial));
      // Before the hash: of a changed file, the signature's refusal is the one that says why.
      await check?.(partial);
      const actual = hash.digest('hex');
      if (actual !== artifact.sha256) throw new Error(`artifact ${artifact.sha256}: downloaded bytes hash to ${actual}`);
      await rename(partial, path);
    } finally {
      await rm(partial, { force: true });
    }
    return path;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
