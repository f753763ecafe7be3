import { Logger } from '@nestjs/common';
import { readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { certificatePairProblems } from './certificate-pair.policy';
import { tlsMaterial, type TlsMaterial } from './tls-material';
import type { TlsFiles } from './tls-settings';

/** Writes of one rotation (cert, key, a symlink swap) are read once they have settled. */
const DEBOUNCE_MS = 150;

/** Thrown at boot when the configured files cannot be read or do not make a valid pair. */
export class TlsMaterialError extends Error {
  constructor(problems: string[]) {
    super(`TLS: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

type Listener = (material: TlsMaterial) => void;

/**
 * An app's certificate, key and CA, kept current as the files change on disk (rotation): fs.watch
 * on their folders (which also sees Kubernetes' symlink swap of a mounted secret) with a poll of
 * their sizes and times as the fallback where watching misses (network mounts). A change is read
 * after a short debounce and served only if it is a valid pair issued by the CA; otherwise it is
 * logged and the pair in service is kept. One watcher per set of files per process.
 */
export class CertificateWatcher {
  private static readonly shared = new Map<string, CertificateWatcher>();
  private readonly logger = new Logger('TLS');
  private readonly listeners = new Set<Listener>();
  private readonly watchers: FSWatcher[] = [];
  private poll?: NodeJS.Timeout;
  private debounce?: NodeJS.Timeout;
  private stamp: string;
  private material: TlsMaterial;

  /** The watcher of these files (created, loaded and started on first use); throws TlsMaterialError if they are not a valid pair. */
  static of(files: TlsFiles, pollIntervalMs: number): CertificateWatcher {
    const key = [files.certFile, files.keyFile, files.caFile].join('\0');
    let watcher = CertificateWatcher.shared.get(key);
    if (!watcher) {
      watcher = new CertificateWatcher(files, pollIntervalMs);
      CertificateWatcher.shared.set(key, watcher);
    }
    return watcher;
  }

  private constructor(
    private readonly files: TlsFiles,
    private readonly pollIntervalMs: number,
  ) {
    const { material, problems } = this.read();
    if (!material) throw new TlsMaterialError(problems);
    this.material = material;
    this.stamp = this.fileStamp();
    this.start();
  }

  get current(): TlsMaterial {
    return this.material;
  }

  /** Called with every new valid pair (not with the current one). */
  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reads the files again now; true when a new pair went into service. */
  reload(): boolean {
    this.stamp = this.fileStamp();
    const { material, problems } = this.read();
    if (!material) {
      this.logger.error({ files: this.files, problems }, `TLS: the changed certificate files are not a valid pair; still serving the previous one: ${problems.join('; ')}`);
      return false;
    }
    if (material.fingerprint === this.material.fingerprint) return false;
    this.material = material;
    this.logger.log({ certFile: this.files.certFile }, 'TLS: a new certificate is in service');
    for (const listener of this.listeners) listener(material);
    return true;
  }

  stop(): void {
    for (const watcher of this.watchers) watcher.close();
    clearInterval(this.poll);
    clearTimeout(this.debounce);
  }

  private start(): void {
    const names = new Map<string, Set<string>>();
    for (const file of [this.files.certFile, this.files.keyFile, this.files.caFile]) {
      const folder = dirname(file);
      names.set(folder, (names.get(folder) ?? new Set()).add(basename(file)));
    }
    for (const folder of names.keys()) {
      try {
        // Any entry of the folder: a mounted secret changes through a `..data` symlink, not the file names.
        const watcher = watch(folder, { persistent: false }, () => this.changed());
        watcher.on('error', () => watcher.close());
        this.watchers.push(watcher);
      } catch {
        // Not watchable here: the poll below still sees the change.
      }
    }
    this.poll = setInterval(() => {
      if (this.fileStamp() !== this.stamp) this.changed();
    }, this.pollIntervalMs);
    this.poll.unref();
  }

  private changed(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => this.reload(), DEBOUNCE_MS);
    this.debounce.unref();
  }

  private read(): { material?: TlsMaterial; problems: string[] } {
    const contents: Buffer[] = [];
    const problems: string[] = [];
    for (const [variable, file] of [
      ['FALAJ_TLS_CERT_FILE', this.files.certFile],
      ['FALAJ_TLS_KEY_FILE', this.files.keyFile],
      ['FALAJ_TLS_CA_FILE', this.files.caFile],
    ]) {
      try {
        contents.push(readFileSync(file));
      } catch (error) {
        problems.push(`${variable} names a file that cannot be read (${file}): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
    }
    if (problems.length > 0) return { problems };
    const [cert, key, ca] = contents;
    const invalid = certificatePairProblems({ cert, key, ca });
    return invalid.length > 0 ? { problems: invalid } : { material: tlsMaterial(cert, key, ca), problems: [] };
  }

  /** Size, modification time and inode of each file (following symlinks): cheap to poll. */
  private fileStamp(): string {
    return [this.files.certFile, this.files.keyFile, this.files.caFile]
      .map((file) => {
        try {
          const s = statSync(file);
          return `${s.ino}:${s.size}:${s.mtimeMs}`;
        } catch {
          return 'missing';
        }
      })
      .join('|');
  }
}
