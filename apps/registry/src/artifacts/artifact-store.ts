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
  /** Every stored artifact, with when its bytes were last written. */
  abstract list(): AsyncIterable<{ sha256: string; modifiedAt: Date }>;
  /**
   * Removes an artifact unless `stillReferenced`, asked once it is set aside where no one opens
   * it, says a version holds it: a version recorded meanwhile (its bytes committed again under
   * the same hash) keeps it. Resolves whether it was removed.
   */
  abstract collect(sha256: string, stillReferenced: () => Promise<boolean>): Promise<boolean>;
}

export class ArtifactTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`artifact exceeds the upload limit of ${maxBytes} bytes`);
  }
}
