import { open, type FileHandle } from 'node:fs/promises';

export interface OnnxModelHeader {
  /** Opset version of the default ONNX domain ('' or 'ai.onnx'). */
  opset?: number;
  producer?: string;
}

// ModelProto field numbers (onnx.proto) and protobuf wire types.
const PRODUCER_NAME = 2;
const OPSET_IMPORT = 8;
const OPSET_DOMAIN = 1;
const OPSET_VERSION = 2;
const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;
/** An opset_import entry is a domain name and a number; anything larger is not one. */
const MAX_OPSET_ENTRY = 1024;

/**
 * Reads producer_name and the default-domain opset from a model file without loading it.
 * onnxruntime-node does not expose either, and decoding the whole ModelProto would pull every
 * weight into memory: this walks the top-level fields only, skipping the graph by its length
 * with positioned reads. Best effort: anything it cannot parse leaves the field undefined
 * (ORT, not this, decides whether the file is a valid model).
 */
export async function readOnnxModelHeader(path: string): Promise<OnnxModelHeader> {
  const file = await open(path, 'r');
  try {
    return await walkTopLevelFields(file, (await file.stat()).size);
  } catch {
    return {};
  } finally {
    await file.close();
  }
}

async function walkTopLevelFields(file: FileHandle, size: number): Promise<OnnxModelHeader> {
  const header: OnnxModelHeader = {};
  let position = 0;
  while (position < size) {
    const key = await readVarintAt(file, position);
    position += key.bytes;
    const field = Math.floor(key.value / 8);
    const wireType = key.value % 8;
    if (wireType === VARINT) {
      position += (await readVarintAt(file, position)).bytes;
    } else if (wireType === FIXED64) {
      position += 8;
    } else if (wireType === FIXED32) {
      position += 4;
    } else if (wireType === LENGTH_DELIMITED) {
      const length = await readVarintAt(file, position);
      position += length.bytes;
      if (field === PRODUCER_NAME) {
        header.producer = (await readAt(file, position, length.value)).toString('utf8');
      } else if (field === OPSET_IMPORT && length.value <= MAX_OPSET_ENTRY) {
        const entry = parseOpsetEntry(await readAt(file, position, length.value));
        if (entry !== undefined && (entry.domain === '' || entry.domain === 'ai.onnx')) header.opset = entry.version;
      }
      position += length.value;
    } else {
      return header; // groups (3, 4) are unused by ONNX; stop rather than guess
    }
  }
  return header;
}

async function readAt(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await file.read(buffer, 0, length, position);
  if (bytesRead !== length) throw new Error('truncated model file');
  return buffer;
}

async function readVarintAt(file: FileHandle, position: number): Promise<{ value: number; bytes: number }> {
  const chunk = Buffer.alloc(10);
  const { bytesRead } = await file.read(chunk, 0, 10, position);
  const varint = readVarint(chunk.subarray(0, bytesRead), 0);
  if (varint === undefined) throw new Error('malformed varint');
  return varint;
}

/** A protobuf varint as a JS number (exact up to 2^53, plenty for keys, lengths and opsets). */
function readVarint(bytes: Buffer, start: number): { value: number; bytes: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = start; i < bytes.length && i - start < 10; i++) {
    value += (bytes[i] & 0x7f) * scale;
    if ((bytes[i] & 0x80) === 0) return { value, bytes: i - start + 1 };
    scale *= 128;
  }
  return undefined;
}

function parseOpsetEntry(bytes: Buffer): { domain: string; version: number } | undefined {
  let domain = '';
  let version: number | undefined;
  let position = 0;
  while (position < bytes.length) {
    const key = readVarint(bytes, position);
    if (key === undefined) return undefined;
    position += key.bytes;
    const field = Math.floor(key.value / 8);
    const wireType = key.value % 8;
    if (wireType === VARINT) {
      const value = readVarint(bytes, position);
      if (value === undefined) return undefined;
      position += value.bytes;
      if (field === OPSET_VERSION) version = value.value;
    } else if (wireType === LENGTH_DELIMITED) {
      const length = readVarint(bytes, position);
      if (length === undefined) return undefined;
      position += length.bytes;
      if (field === OPSET_DOMAIN) domain = bytes.toString('utf8', position, position + length.value);
      position += length.value;
    } else {
      return undefined;
    }
  }
  return version === undefined ? undefined : { domain, version };
}
