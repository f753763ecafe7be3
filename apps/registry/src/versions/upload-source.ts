import type { FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { SIGNATURE_HEADER, type ModelSignature } from '@falaj/contracts';
import { VersionsError } from './versions.exception';

export interface UploadSource {
  stream: Readable;
  /** The lineage JSON sent with the upload, unparsed; undefined when none was sent. */
  lineage?: string;
  /** The detached signature sent with it (`<keyId>:<base64>`), unparsed; undefined when none was sent. */
  signature?: string;
  /** Called with the signature onnxruntime read, before the version is recorded: throws to refuse it (an import's declared signature). */
  checkSignature?: (signature: ModelSignature) => void;
}

/** Header carrying a raw-body upload's lineage (JSON). */
export const LINEAGE_HEADER = 'x-falaj-lineage';

/**
 * The artifact stream of an upload, never buffered whole: either a raw body
 * (`Content-Type: application/octet-stream`, `curl --data-binary @m.onnx`, lineage in the
 * `x-falaj-lineage` header, its signature in `x-falaj-signature`) or the first file of a multipart form (`curl -F lineage=… -F
 * file=@m.onnx`, a `signature` field likewise; fields must come before the file, as the stream is read once).
 */
export async function uploadSource(request: FastifyRequest): Promise<UploadSource> {
  if (request.isMultipart()) {
    const file = await request.file();
    if (!file) throw VersionsError.emptyUpload();
    const field = file.fields.lineage;
    const entry = Array.isArray(field) ? field[0] : field;
    const lineage = entry && entry.type === 'field' ? String(entry.value) : undefined;
    const signed = Array.isArray(file.fields.signature) ? file.fields.signature[0] : file.fields.signature;
    const signature = signed && signed.type === 'field' ? String(signed.value) : undefined;
    return { stream: file.file, ...(lineage !== undefined ? { lineage } : {}), ...(signature !== undefined ? { signature } : {}) };
  }
  const body = request.body as Readable | undefined;
  if (!body || typeof body.pipe !== 'function') {
    throw new VersionsError(415, 'send the body as application/octet-stream, application/x-ndjson or multipart/form-data', 'unsupported_media_type');
  }
  const header = request.headers[LINEAGE_HEADER];
  const lineage = Array.isArray(header) ? header[0] : header;
  const signed = request.headers[SIGNATURE_HEADER];
  const signature = Array.isArray(signed) ? signed[0] : signed;
  return { stream: body, ...(lineage !== undefined ? { lineage } : {}), ...(signature !== undefined ? { signature } : {}) };
}
