import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { EntryWriter, readAt, type ArchiveLimits } from './archive-entry-writer';
import { ImportsError } from './imports.exception';
import { extractTar } from './tar-reader';
import { extractZip } from './zip-reader';

export type { ArchiveLimits } from './archive-entry-writer';

export type ArchiveFormat = 'tar.gz' | 'tar' | 'zip';

export interface ExtractedArchive {
  format: ArchiveFormat;
  /** Files written. */
  files: number;
  /** Their bytes. */
  bytes: number;
}

/**
 * Extracts a .tar.gz, .tar or .zip (told from its first bytes) into `into`, an empty folder: plain
 * files and folders only. The whole archive is refused (400) for any entry whose name is absolute,
 * has a drive letter, a backslash or a `..` segment (zip-slip), is a link or a device, appears
 * twice, or is encrypted or compressed other than by deflate; past `limits.maxEntries` entries
 * (400) or `limits.maxBytes` extracted (413, counted as bytes are inflated, so a lying size or a
 * bomb stops at the limit); or when a zip entry's CRC-32 or size is not what its header says.
 * Nothing is ever written outside `into`: names are checked before any write, and no link is made.
 */
export async function extractArchive(file: string, into: string, limits: ArchiveLimits): Promise<ExtractedArchive> {
  const head = await readAt(file, 0, 512);
  const writer = new EntryWriter(into, limits);
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    const gunzip = createGunzip();
    const source = createReadStream(file);
    source.on('error', (error) => gunzip.destroy(error));
    source.pipe(gunzip);
    try {
      await extractTar(gunzip, writer);
    } catch (error) {
      if (error instanceof ImportsError) throw error;
      throw ImportsError.badArchive(`not a valid gzip stream (${(error as Error).message})`);
    } finally {
      source.destroy();
      gunzip.destroy();
    }
    return { format: 'tar.gz', ...writer.totals() };
  }
  if (head.length >= 4 && head.readUInt32LE(0) === 0x04034b50) {
    await extractZip(file, writer);
    return { format: 'zip', ...writer.totals() };
  }
  if (head.length === 512 && head.toString('latin1', 257, 262) === 'ustar') {
    const source = createReadStream(file);
    try {
      await extractTar(source, writer);
    } finally {
      source.destroy();
    }
    return { format: 'tar', ...writer.totals() };
  }
  throw ImportsError.badArchive('not a .tar.gz, .tar or .zip archive');
}
