import { crc32, deflateRawSync, gzipSync } from 'node:zlib';

/** One entry of an archive a test builds, hostile ones included (names are written as given). */
export interface ArchiveEntry {
  name: string;
  data?: Buffer | string;
  /** Default 'file'. */
  type?: 'file' | 'dir' | 'symlink';
  /** A symlink's target. */
  target?: string;
  /** Zip only: the uncompressed size the headers claim, when it should lie. */
  claimedSize?: number;
}

const bytesOf = (data: Buffer | string | undefined): Buffer => (typeof data === 'string' ? Buffer.from(data) : (data ?? Buffer.alloc(0)));

/** A ustar archive, gzipped (names over 100 bytes get a PAX `path` record, as Python's tarfile writes). */
export function tarGz(entries: readonly ArchiveEntry[]): Buffer {
  return gzipSync(tar(entries));
}

export function tar(entries: readonly ArchiveEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const data = entry.type === 'file' || entry.type === undefined ? bytesOf(entry.data) : Buffer.alloc(0);
    if (Buffer.byteLength(entry.name) > 100) {
      const record = paxRecord('path', entry.name);
      blocks.push(tarHeader('././@PaxHeader', 'x', record.length), padded(record));
    }
    const flag = entry.type === 'dir' ? '5' : entry.type === 'symlink' ? '2' : '0';
    blocks.push(tarHeader(entry.name.slice(0, 100), flag, data.length, entry.target), padded(data));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length = String(length).length + Buffer.byteLength(body);
  return Buffer.from(`${length}${body}`);
}

function tarHeader(name: string, flag: string, size: number, target = ''): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  header.write(
    `${Math.floor(Date.UTC(2026, 10, 28) / 1000)
      .toString(8)
      .padStart(11, '0')}\0`,
    136,
  );
  header.write('        ', 148);
  header.write(flag, 156);
  header.write(target, 157, 100);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return header;
}

function padded(data: Buffer): Buffer {
  const rest = data.length % 512;
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(512 - rest)]);
}

/** A zip archive (deflated entries), written entry by entry with a central directory. */
export function zip(entries: readonly ArchiveEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.type === 'dir' && !entry.name.endsWith('/') ? `${entry.name}/` : entry.name);
    const raw = entry.type === 'symlink' ? Buffer.from(entry.target ?? '') : bytesOf(entry.data);
    const stored = entry.type === 'dir' || entry.type === 'symlink';
    const body = stored ? raw : deflateRawSync(raw);
    const crc = crc32(raw);
    const size = entry.claimedSize ?? raw.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(stored ? 0 : 8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, body);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x0314, 4); // made by Unix: the external attributes carry the mode
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(stored ? 0 : 8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    const mode = entry.type === 'symlink' ? 0o120777 : entry.type === 'dir' ? 0o040755 : 0o100644;
    central.writeUInt32LE((mode << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
