import type { Readable } from 'node:stream';

/** An upload written and hashed but not yet part of the store: validate it, then keep or drop it. */
export interface StagedArtifact {
  sha256: string;
  sizeBytes: number;
  /** A local file holding the bytes, for validators that need a path (onnxruntime). */
  localPath: string;
  commit(): Promise<void>;
  discard(): Promise<void>;
}

/**
 * Content-addressed storage of model artifacts. The local folder is the default; the interface
 * is what an S3-compatible backend implements too: `stage` streams the upload to a temp key
 * (multipart upload) while hashing, keeping a local copy for validation; `commit` copies it to
 * `sha256/<hash>` and deletes the temp key; `discard` deletes it; `open` streams a GetObject.
 * Callers never build a path or key from user input, only from a hash the store computed.
 */
export abstract class ArtifactStore {
  /** Streams `source` in, hashing as it goes; rejects with ArtifactTooLargeError past `maxBytes`. */
  abstract stage(source: Readable, maxBytes: number): Promise<StagedArtifact>;
  abstract open(sha256: string): Promise<Readable | null>;
}

export class ArtifactTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`artifact exceeds the upload limit of ${maxBytes} bytes`);
  }
}
