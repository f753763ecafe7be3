import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorCodeOf, retryAfterHeader, statusErrorCode, unavailableOnBackboneLoss } from '@falaj/contracts';
import { countLimitRefusal } from './limit-refusals';

/** Every error answer's body: OIP's `error` (what OIP and KServe clients parse), and what went wrong as a code. */
export interface ErrorBody {
  error: string;
  /** The DomainError's code (`model_not_found`, `quota_exceeded`…), else the status's (`bad_request`, `internal`). */
  code: string;
  /** On a 500 only: what to ask about, the cause being in the log. */
  requestId?: string;
}

const logger = new Logger('HttpExceptionFilter');

/**
 * One filter for every app. Errors take the Open Inference Protocol's shape, `{"error": "..."}`,
 * on every route (OIP clients parse that field), with the error's `code` beside it; Redis being away is a 503 with Retry-After;
 * unknown errors become a 500 that names the request id, never a stack trace.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  catch(thrown: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    void sendError(thrown, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
  }
}

/**
 * The filter's answer to an error, for Nest's routes and the raw Fastify routes (the OIP infer
 * routes, served outside Nest's pipeline) alike: one mapping from error to status and body.
 */
export function sendError(thrown: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  // Redis or Postgres away (their drivers' own errors, on any route): a retryable 503, not a 500.
  const exception = unavailableOnBackboneLoss(thrown);
  const [status, body] = errorAnswerOf(exception, request);
  countLimitRefusal(exception);
  if (status >= 500) {
    logger.error({ requestId: request.id, url: request.url, err: String(exception) }, (exception as Error)?.stack);
  }
  // Quotas and shedding say when to come back (429/503 with `Retry-After`).
  const retryAfter = retryAfterHeader(exception);
  if (retryAfter !== undefined) void reply.header('retry-after', retryAfter);
  return reply.status(status).header('content-type', 'application/json').send(body);
}

/** The status and body of an error answer, the one mapping of every HTTP route. */
export function errorAnswerOf(exception: unknown, request: Pick<FastifyRequest, 'id'>): [number, ErrorBody] {
  // Before carriesStatus: an HttpException has a `status` too, and its message may be a list.
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    return [status, { error: messageOf(exception), code: statusErrorCode(status) }];
  }
  if (carriesStatus(exception)) {
    // DomainError carries its status and code; another status-carrying error gets its status's code.
    return [exception.status, { error: exception.message, code: errorCodeOf(exception, exception.status) }];
  }
  const fastifyStatus = (exception as { statusCode?: unknown })?.statusCode;
  if (typeof fastifyStatus === 'number' && fastifyStatus >= 400 && fastifyStatus < 500) {
    // Fastify's own errors (body too large, bad JSON, bad content type) are the caller's.
    return [fastifyStatus, { error: (exception as Error).message, code: statusErrorCode(fastifyStatus) }];
  }
  return [500, { error: 'internal error', code: 'internal', requestId: String(request.id) }];
}

function carriesStatus(error: unknown): error is Error & { status: number } {
  const status = (error as { status?: unknown })?.status;
  return error instanceof Error && typeof status === 'number' && status >= 400 && status < 600;
}

function messageOf(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}
