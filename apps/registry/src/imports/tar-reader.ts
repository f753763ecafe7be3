import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { quoted, type EntryWriter } from './archive-entry-writer';
import { ImportsError } from './imports.exception';

/** A tar metadata record (PAX header, GNU long name) larger than this is not one an MLflow directory needs. */
const MAX_META_BYTES = 64 * 1024;

interface TarData {
  remaining: number;
  pad: number;
  /** Where the content goes: a file, a metadata record's chunks, or nowhere (skipped). */
  sink: { file: FileHandle } | { meta: 'pax' | 'gnu-name'; chunks: Buffer[] } | null;
}

/** A tar stream, read once: 512-byte headers (ustar, PAX `path`/`size`, GNU long names), contents to files as they arrive. */
export async function extractTar(source: Readable, writer: EntryWriter): Promise<void> {
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
