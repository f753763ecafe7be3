import { createReadStream } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip, createInflateRaw, crc32 } from 'node:zlib';
import { normalisedPath, pathProblem } from './import-path.policy';
import { ImportsError } from './imports.exception';

export interface ArchiveLimits {
  /** Entries (files, folders, and tar's metadata records) an archive may hold. */
  maxEntries: number;
  /** Bytes its files may hold once extracted, all together. */
  maxBytes: number;
}

export type ArchiveFormat = 'tar.gz' | 'tar' | 'zip';

export interface ExtractedArchive {
  format: ArchiveFormat;
  /** Files written. */
  files: number;
  /** Their bytes. */
  bytes: number;
}

/** A tar metadata record (PAX header, GNU long name) larger than this is not one an MLflow directory needs. */
const MAX_META_BYTES = 64 * 1024;
/** A zip's central directory larger than this is refused unread. */
const MAX_ZIP_DIRECTORY_BYTES = 16 * 1024 * 1024;

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

/** Checks and writes entries: one budget of entries and bytes for the archive. */
class EntryWriter {
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

interface TarData {
  remaining: number;
  pad: number;
  /** Where the content goes: a file, a metadata record's chunks, or nowhere (skipped). */
  sink: { file: FileHandle } | { meta: 'pax' | 'gnu-name'; chunks: Buffer[] } | null;
}

/** A tar stream, read once: 512-byte headers (ustar, PAX `path`/`size`, GNU long names), contents to files as they arrive. */
async function extractTar(source: Readable, writer: EntryWriter): Promise<void> {
  let buffer: Buffer = Buffer.alloc(0);
  let data: TarData | null = null;
  let pax: Record<string, string> = {};
  let longName: string | null = null;
  let zeroBlocks = 0;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      for (;;) {
        if (data) {
          const take = Math.min(data.remaining, buffer.length);
          if (take > 0) {
            const part = buffer.subarray(0, take);
            if (data.sink && 'file' in data.sink) await data.sink.file.write(part);
            else if (data.sink) data.sink.chunks.push(Buffer.from(part));
            data.remaining -= take;
            buffer = buffer.subarray(take);
          }
          if (data.remaining > 0) break;
          const skip = Math.min(data.pad, buffer.length);
          data.pad -= skip;
          buffer = buffer.subarray(skip);
          if (data.pad > 0) break;
          const { sink } = data;
          data = null;
          if (sink && 'file' in sink) await sink.file.close();
          else if (sink?.meta === 'pax') pax = paxRecords(Buffer.concat(sink.chunks));
          else if (sink?.meta === 'gnu-name') longName = Buffer.concat(sink.chunks).toString('utf8').replace(/\0+$/, '');
          continue;
        }
        if (buffer.length < 512) break;
        const header = buffer.subarray(0, 512);
        buffer = buffer.subarray(512);
        if (header.every((b) => b === 0)) {
          // Two zero blocks end the archive; what follows (padding, or a bomb of zeros) is never read.
          if (++zeroBlocks === 2) return;
          continue;
        }
        zeroBlocks = 0;
        writer.count();
        const entry = tarHeader(header, pax, longName);
        pax = {};
        longName = null;
        const pad = (512 - (entry.size % 512)) % 512;
        switch (entry.type) {
          case 'file':
            writer.reserve(entry.size);
            data = { remaining: entry.size, pad, sink: { file: await writer.file(entry.name) } };
            break;
          case 'dir':
            await writer.folder(entry.name);
            data = { remaining: entry.size, pad, sink: null };
            break;
          case 'pax':
          case 'gnu-name':
            if (entry.size > MAX_META_BYTES) throw ImportsError.badArchive(`a tar metadata record of ${entry.size} bytes (at most ${MAX_META_BYTES})`);
            data = { remaining: entry.size, pad, sink: { meta: entry.type, chunks: [] } };
            break;
          case 'global-pax':
            if (entry.size > MAX_META_BYTES) throw ImportsError.badArchive(`a tar metadata record of ${entry.size} bytes (at most ${MAX_META_BYTES})`);
            data = { remaining: entry.size, pad, sink: null };
            break;
          default:
            throw ImportsError.badArchive(`entry '${quoted(entry.name)}' is ${entry.type}: only files and folders are imported`);
        }
      }
    }
  } finally {
    if (data?.sink && 'file' in data.sink) await data.sink.file.close().catch(() => undefined);
  }
  if (data || zeroBlocks === 0) throw ImportsError.badArchive('the tar stream ends inside an entry');
}

type TarEntryType = 'file' | 'dir' | 'pax' | 'global-pax' | 'gnu-name' | 'a link' | 'a device or FIFO' | 'of an unknown type';

function tarHeader(header: Buffer, pax: Record<string, string>, longName: string | null): { name: string; size: number; type: TarEntryType } {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i];
  if (octal(header, 148, 8) !== sum) throw ImportsError.badArchive("a tar header's checksum is wrong (not a tar archive, or a corrupt one)");
  const field = (start: number, length: number) => {
    const raw = header.subarray(start, start + length);
    const end = raw.indexOf(0);
    return raw.subarray(0, end === -1 ? length : end).toString('utf8');
  };
  const prefix = header.toString('latin1', 257, 262) === 'ustar' ? field(345, 155) : '';
  const name = pax.path ?? longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
  const size = pax.size !== undefined ? Number(pax.size) : header[124] & 0x80 ? Number.POSITIVE_INFINITY : octal(header, 124, 12);
  if (!Number.isSafeInteger(size) || size < 0) throw ImportsError.badArchive(`entry '${quoted(name)}' has an invalid or too large size`);
  const flag = String.fromCharCode(header[156]);
  const type: TarEntryType =
    flag === '0' || flag === '\0' || flag === '7'
      ? 'file'
      : flag === '5'
        ? 'dir'
        : flag === 'x'
          ? 'pax'
          : flag === 'g'
            ? 'global-pax'
            : flag === 'L'
              ? 'gnu-name'
              : flag === '1' || flag === '2' || flag === 'K'
                ? 'a link'
                : flag === '3' || flag === '4' || flag === '6'
                  ? 'a device or FIFO'
                  : 'of an unknown type';
  return { name, size, type };
}

function octal(buffer: Buffer, start: number, length: number): number {
  const text = buffer
    .toString('latin1', start, start + length)
    .replace(/[\0 ]+$/, '')
    .trim();
  return /^[0-7]{1,12}$/.test(text) ? parseInt(text, 8) : Number.NaN;
}

/** PAX records (`<length> <key>=<value>\n`): only `path` and `size` matter here. */
function paxRecords(bytes: Buffer): Record<string, string> {
  const records: Record<string, string> = {};
  let at = 0;
  while (at < bytes.length) {
    const space = bytes.indexOf(0x20, at);
    const length = space === -1 ? Number.NaN : Number(bytes.toString('latin1', at, space));
    if (!Number.isSafeInteger(length) || length <= space - at || at + length > bytes.length) throw ImportsError.badArchive('a malformed PAX header');
    const record = bytes.toString('utf8', space + 1, at + length - 1);
    const equals = record.indexOf('=');
    const key = record.slice(0, equals);
    if (key === 'path' || key === 'size') records[key] = record.slice(equals + 1);
    at += length;
  }
  return records;
}

interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
  kind: 'file' | 'dir' | 'a link' | 'a device or FIFO';
}

/** A zip, from its central directory (no zip64, no multi-disk archives, no encryption; stored or deflated entries). */
async function extractZip(file: string, writer: EntryWriter): Promise<void> {
  const handle = await open(file, 'r');
  try {
    const { size: fileSize } = await handle.stat();
    const tailLength = Math.min(fileSize, 22 + 0xffff);
    const tail = await readFrom(handle, fileSize - tailLength, tailLength);
    let end = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === 0x06054b50) {
        end = i;
        break;
      }
    }
    if (end === -1) throw ImportsError.badArchive('a zip without its end of central directory');
    const count = tail.readUInt16LE(end + 10);
    const directorySize = tail.readUInt32LE(end + 12);
    const directoryOffset = tail.readUInt32LE(end + 16);
    if (tail.readUInt16LE(end + 4) !== 0 || tail.readUInt16LE(end + 6) !== 0 || tail.readUInt16LE(end + 8) !== count) throw ImportsError.badArchive('multi-disk zips are not supported');
    if (count === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) throw ImportsError.badArchive('zip64 archives are not supported');
    for (let i = 0; i < count; i++) writer.count();
    if (directorySize > MAX_ZIP_DIRECTORY_BYTES || directoryOffset + directorySize > fileSize) throw ImportsError.badArchive('a zip central directory out of bounds');
    const directory = await readFrom(handle, directoryOffset, directorySize);
    const entries = zipEntries(directory, count);
    // The headers' claims first: a zip that says it is too large is refused before anything is inflated.
    for (const entry of entries) if (entry.kind === 'file') writer.reserve(entry.size);
    for (const entry of entries) {
      if (entry.kind === 'dir') {
        await writer.folder(entry.name);
        continue;
      }
      if (entry.kind !== 'file') throw ImportsError.badArchive(`entry '${quoted(entry.name)}' is ${entry.kind}: only files and folders are imported`);
      if (entry.flags & 0x1) throw ImportsError.badArchive(`entry '${quoted(entry.name)}' is encrypted`);
      if (entry.method !== 0 && entry.method !== 8) throw ImportsError.badArchive(`entry '${quoted(entry.name)}' is compressed by method ${entry.method}; only stored and deflate are supported`);
      const local = await readFrom(handle, entry.localOffset, 30);
      if (local.length < 30 || local.readUInt32LE(0) !== 0x04034b50) throw ImportsError.badArchive(`entry '${quoted(entry.name)}' has no local header where the directory says`);
      const start = entry.localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
      if (start + entry.compressedSize > directoryOffset) throw ImportsError.badArchive(`entry '${quoted(entry.name)}' runs past its data`);
      await writeZipEntry(file, start, entry, writer);
    }
  } finally {
    await handle.close();
  }
}

function zipEntries(directory: Buffer, count: number): ZipEntry[] {
  const entries: ZipEntry[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 46 > directory.length || directory.readUInt32LE(at) !== 0x02014b50) throw ImportsError.badArchive('a malformed zip central directory');
    const nameLength = directory.readUInt16LE(at + 28);
    const next = at + 46 + nameLength + directory.readUInt16LE(at + 30) + directory.readUInt16LE(at + 32);
    if (next > directory.length) throw ImportsError.badArchive('a malformed zip central directory');
    const name = directory.toString('utf8', at + 46, at + 46 + nameLength);
    const madeByUnix = directory[at + 5] === 3;
    const mode = (directory.readUInt32LE(at + 38) >>> 16) & 0o170000;
    const compressedSize = directory.readUInt32LE(at + 20);
    const size = directory.readUInt32LE(at + 24);
    const localOffset = directory.readUInt32LE(at + 42);
    if (compressedSize === 0xffffffff || size === 0xffffffff || localOffset === 0xffffffff) throw ImportsError.badArchive('zip64 archives are not supported');
    const kind: ZipEntry['kind'] = name.endsWith('/') ? 'dir' : !madeByUnix || mode === 0 || mode === 0o100000 ? 'file' : mode === 0o040000 ? 'dir' : mode === 0o120000 ? 'a link' : 'a device or FIFO';
    entries.push({ name, method: directory.readUInt16LE(at + 10), flags: directory.readUInt16LE(at + 8), crc: directory.readUInt32LE(at + 16), compressedSize, size, localOffset, kind });
    at = next;
  }
  return entries;
}

async function writeZipEntry(file: string, start: number, entry: ZipEntry, writer: EntryWriter): Promise<void> {
  const out = await writer.file(entry.name);
  const raw = entry.compressedSize === 0 ? null : createReadStream(file, { start, end: start + entry.compressedSize - 1 });
  const inflate = raw && entry.method === 8 ? createInflateRaw() : null;
  if (raw && inflate) {
    raw.on('error', (error) => inflate.destroy(error));
    raw.pipe(inflate);
  }
  let written = 0;
  let crc = 0;
  try {
    for await (const chunk of (inflate ?? raw ?? []) as AsyncIterable<Buffer>) {
      written += chunk.length;
      // Counted as bytes inflate: a header that lies about the size stops here, not at the disk's end.
      if (written > entry.size) throw ImportsError.badArchive(`entry '${quoted(entry.name)}' inflates past the ${entry.size} bytes its header says`);
      crc = crc32(chunk, crc);
      await out.write(chunk);
    }
  } catch (error) {
    if (error instanceof ImportsError) throw error;
    throw ImportsError.badArchive(`entry '${quoted(entry.name)}' does not inflate (${(error as Error).message})`);
  } finally {
    raw?.destroy();
    inflate?.destroy();
    await out.close();
  }
  if (written !== entry.size) throw ImportsError.badArchive(`entry '${quoted(entry.name)}' holds ${written} bytes, its header says ${entry.size}`);
  if (crc >>> 0 !== entry.crc) throw ImportsError.badArchive(`entry '${quoted(entry.name)}' fails its CRC-32 check`);
}

async function readAt(file: string, position: number, length: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    return await readFrom(handle, position, length);
  } finally {
    await handle.close();
  }
}

async function readFrom(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}

/** An entry name as an error quotes it: bounded, control characters escaped. */
function quoted(name: string): string {
  const short = name.length > 120 ? `${name.slice(0, 120)}…` : name;
  return short.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
