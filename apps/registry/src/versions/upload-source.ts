import type { FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { VersionsError } from './versions.exception';

/**
 * The artifact stream of an upload, never buffered whole: either a raw body
 * (`Content-Type: application/octet-stream`, `curl --data-binary @m.onnx`) or the first file
 * of a multipart form (`curl -F file=@m.onnx`).
 */
export async function uploadSource(request: FastifyRequest): Promise<Readable> {
  if (request.isMultipart()) {
    const file = await request.file();
    if (!file) throw VersionsError.emptyUpload();
    return file.file;
  }
  const body = request.body as Readable | undefined;
  if (!body || typeof body.pipe !== 'function') {
    throw new VersionsError(415, 'send the body as application/octet-stream, application/x-ndjson or multipart/form-data', 'unsupported_media_type');
  }
  return body;
}
