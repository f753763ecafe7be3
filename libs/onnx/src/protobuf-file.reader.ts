import type { FileHandle } from 'node:fs/promises';

// Protobuf wire types.
export const VARINT = 0;
export const FIXED64 = 1;
export const LENGTH_DELIMITED = 2;
export const FIXED32 = 5;

export interface ProtobufField {
  field: number;
  wireType: number;
  /** The value of a varint field. */
  varint: number;
  /** Where a length-delimited value lies. */
  start: number;
  end: number;
}

/** Reads protobuf fields from a file at positions, through a small window, never the whole file. */
export class ProtobufFileReader {
  private window = Buffer.alloc(0);
  private windowStart = 0;

  constructor(private readonly file: FileHandle) {}

  async *fields(start: number, end: number): AsyncGenerator<ProtobufField> {
    let position = start;
    while (position < end) {
      const key = await this.varintAt(position);
      position += key.bytes;
      const field = Math.floor(key.value / 8);
      const wireType = key.value % 8;
      let varint = 0;
      let valueStart = position;
      if (wireType === VARINT) {
        const value = await this.varintAt(position);
        varint = value.value;
        position += value.bytes;
      } else if (wireType === FIXED64) {
        position += 8;
      } else if (wireType === FIXED32) {
        position += 4;
      } else if (wireType === LENGTH_DELIMITED) {
        const length = await this.varintAt(position);
        valueStart = position + length.bytes;
        position = valueStart + length.value;
      } else {
        throw new Error(`unsupported protobuf wire type ${wireType}`);
      }
      if (position > end) throw new Error('truncated model file');
      yield { field, wireType, varint, start: valueStart, end: position };
    }
  }

  /** `length` bytes at `position` (fewer only when `exact` is false and the file ends first). */
  async read(position: number, length: number, exact = true): Promise<Buffer> {
    if (position >= this.windowStart && position + length <= this.windowStart + this.window.length) {
      return this.window.subarray(position - this.windowStart, position - this.windowStart + length);
    }
    const size = Math.max(length, 64 * 1024);
    const buffer = Buffer.alloc(size);
    const { bytesRead } = await this.file.read(buffer, 0, size, position);
    if (exact && bytesRead < length) throw new Error('truncated model file');
    this.window = buffer.subarray(0, bytesRead);
    this.windowStart = position;
    return this.window.subarray(0, Math.min(length, bytesRead));
  }

  private async varintAt(position: number): Promise<{ value: number; bytes: number }> {
    const varint = readVarint(await this.read(position, 10, false), 0);
    if (!varint) throw new Error('malformed varint');
    return varint;
  }
}

/** A protobuf varint as a JS number (exact up to 2^53, plenty for keys, lengths, dims and opsets). */
export function readVarint(bytes: Buffer, start: number): { value: number; bytes: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = start; i < bytes.length && i - start < 10; i++) {
    value += (bytes[i] & 0x7f) * scale;
    if ((bytes[i] & 0x80) === 0) return { value, bytes: i - start + 1 };
    scale *= 128;
  }
  return undefined;
}
