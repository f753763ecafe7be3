import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { normalisedPath, pathProblem } from './import-path.policy';
import { ImportsError } from './imports.exception';

/** What an archive may hold: the budget EntryWriter keeps for the tar and zip readers alike. */
export interface ArchiveLimits {
  /** Entries (files, folders, and tar's metadata records) an archive may hold. */
  maxEntries: number;
  /** Bytes its files may hold once extracted, all together. */
  maxBytes: number;
}

/** Checks and writes entries: one budget of entries and bytes for the archive. */
export class EntryWriter {
  private entries = 0;
  private files = 0;
  private bytes = 0;
  private readonly names = new Set<string>();

  constructor(
    private readonly into: string,
    private readonly limits: ArchiveLimits,
  ) {}

  totals(): { files: number; bytes: number } {
    return { files: this.files, bytes: this.bytes };
  }

  /** Counts one entry of any kind against the entry limit. */
  count(): void {
    if (++this.entries > this.limits.maxEntries) throw ImportsError.badArchive(`more than ${this.limits.maxEntries} entries`);
  }

  /** Reserves `size` extracted bytes (a header's claim, or bytes as they inflate). */
  reserve(size: number): void {
    this.bytes += size;
    if (this.bytes > this.limits.maxBytes) throw ImportsError.archiveTooLarge('its extracted size', this.limits.maxBytes);
  }

  /** The checked path of an entry inside `into`, never seen before in this archive. */
  target(name: string): string {
    const problem = pathProblem(name);
    if (problem) throw ImportsError.badArchive(`entry '${quoted(name)}': ${problem}`);
    const path = normalisedPath(name);
    if (this.names.has(path)) throw ImportsError.badArchive(`entry '${quoted(name)}' appears twice`);
    this.names.add(path);
    return join(this.into, path);
  }

  async folder(name: string): Promise<void> {
    const path = this.target(name);
    await mkdir(path, { recursive: true }).catch(() => {
      throw ImportsError.badArchive(`entry '${quoted(name)}' is a folder where the archive has a file`);
    });
  }

  async file(name: string): Promise<FileHandle> {
    const path = this.target(name);
    this.files++;
    try {
      await mkdir(dirname(path), { recursive: true });
      return await open(path, 'wx', 0o600);
    } catch {
      throw ImportsError.badArchive(`entry '${quoted(name)}' cannot be written where a file or folder of the archive already is`);
    }
  }
}

export async function readAt(file: string, position: number, length: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    return await readFrom(handle, position, length);
  } finally {
    await handle.close();
  }
}

export async function readFrom(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}

/** An entry name as an error quotes it: bounded, control characters escaped. */
export function quoted(name: string): string {
  const short = name.length > 120 ? `${name.slice(0, 120)}…` : name;
  return short.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
