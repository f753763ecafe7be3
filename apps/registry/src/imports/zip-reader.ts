import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInflateRaw, crc32 } from 'node:zlib';
import { quoted, readFrom, type EntryWriter } from './archive-entry-writer';
import { ImportsError } from './imports.exception';

/** A zip's central directory larger than this is refused unread. */
const MAX_ZIP_DIRECTORY_BYTES = 16 * 1024 * 1024;

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
export async function extractZip(file: string, writer: EntryWriter): Promise<void> {
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
