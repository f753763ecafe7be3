import { open } from 'node:fs/promises';
import { LENGTH_DELIMITED, ProtobufFileReader, VARINT, readVarint } from './protobuf-file.reader';

export interface OnnxModelHeader {
  /** Opset version of the default ONNX domain ('' or 'ai.onnx'). */
  opset?: number;
  producer?: string;
}

// ModelProto field numbers (onnx.proto).
const PRODUCER_NAME = 2;
const OPSET_IMPORT = 8;
const OPSET_DOMAIN = 1;
const OPSET_VERSION = 2;
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
    const reader = new ProtobufFileReader(file);
    const header: OnnxModelHeader = {};
    for await (const f of reader.fields(0, (await file.stat()).size)) {
      if (f.wireType !== LENGTH_DELIMITED) continue;
      if (f.field === PRODUCER_NAME) {
        header.producer = (await reader.read(f.start, f.end - f.start)).toString('utf8');
      } else if (f.field === OPSET_IMPORT && f.end - f.start <= MAX_OPSET_ENTRY) {
        const entry = parseOpsetEntry(await reader.read(f.start, f.end - f.start));
        if (entry !== undefined && (entry.domain === '' || entry.domain === 'ai.onnx')) header.opset = entry.version;
      }
    }
    return header;
  } catch {
    return {};
  } finally {
    await file.close();
  }
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
