import { DomainError } from './domain.error';

/**
 * The code of an error that carries none of its own (Nest's HttpException, Fastify's own 4xx, a
 * lib's status-carrying error, a kept answer from before codes), named after its status.
 */
const STATUS_ERROR_CODES: Readonly<Record<number, string>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  408: 'request_timeout',
  409: 'conflict',
  410: 'gone',
  411: 'length_required',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  422: 'unprocessable_entity',
  429: 'too_many_requests',
  431: 'headers_too_large',
  500: 'internal',
  501: 'not_implemented',
  502: 'bad_gateway',
  503: 'unavailable',
  504: 'timeout',
};

/** The code named after an HTTP-like status: `bad_request` for an unnamed 4xx, `internal` for an unnamed 5xx. */
export function statusErrorCode(status: number): string {
  return STATUS_ERROR_CODES[status] ?? (status < 500 ? 'bad_request' : 'internal');
}

/**
 * The code every protocol answers an error with: a DomainError's own, else the one of the status
 * it is answered with. Only a DomainError's code is ours: another error's `code` (ENOENT, a
 * Postgres SQLSTATE, FST_ERR_…) says nothing a caller can act on and never leaves the process.
 */
export function errorCodeOf(error: unknown, status: number): string {
  // instanceof narrows to DomainError<any>: every DomainError's code is a string.
  return error instanceof DomainError ? (error as DomainError).code : statusErrorCode(status);
}
