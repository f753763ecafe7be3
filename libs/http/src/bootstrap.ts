import { Logger, type DynamicModule, type INestApplication, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger as PinoLogger, PinoLogger as PinoRoot } from 'nestjs-pino';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Authenticator, authenticateOnRequest } from '@falaj/auth';
import { serverTls, usePlatformTrust, type TlsSettings } from '@falaj/tls';
import { installTracing, loadTracingConfig, registerHttpTracing } from '@falaj/tracing';
import type { Server as TlsServer } from 'node:tls';
import type { FastifyHttpOptions, RawServerDefault } from 'fastify';
import { HttpExceptionFilter, sendError } from './http-exception.filter';
import { setSecurityHeaders } from './security-headers';

const PINO_LEVEL: Record<LogLevel, string> = { fatal: 'fatal', error: 'error', warn: 'warn', log: 'info', debug: 'debug', verbose: 'trace' };

/**
 * The app's logger: structured JSON lines (pino) through nestjs-pino's Nest adapter, with no
 * per-request middleware. The middleware (pino-http's child logger per request, run inside an
 * AsyncLocalStorage) would put async hooks on every promise of the process and a middie pass on
 * every request, the inference hot path included; the lines logged while a request is handled
 * name it themselves (the error filter logs its id and URL), and the audit log covers calls.
 */
function appLogger(name: string, level: LogLevel): PinoLogger {
  const pretty = process.env.FALAJ_LOG_PRETTY === 'true';
  const pinoHttp = {
    name,
    level: PINO_LEVEL[level],
    // Credentials (bearer tokens, API keys, cookies) must never reach a log, even in an object a line carries.
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["proxy-authorization"]', 'headers.authorization', 'headers.cookie'], censor: '[redacted]' },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { singleLine: true, translateTime: 'HH:MM:ss.l' } } } : {}),
  };
  return new PinoLogger(new PinoRoot({ pinoHttp }), {});
}

export interface HttpAppOptions {
  name: string;
  host: string;
  port: number;
  logLevel: LogLevel;
  /** TLS from the configured files (HTTPS, HTTP/2 by ALPN with HTTP/1.1 beside it), or plain HTTP. */
  tls: TlsSettings;
  /** Largest request body Fastify accepts, in bytes (413 beyond). */
  bodyLimit?: number;
  /** Nest's JSON and urlencoded body parsers (default true); false when the app reads bodies itself. */
  bodyParser?: boolean;
  /** Hook to register Fastify plugins or raw routes before Nest's own. */
  configure?: (app: NestFastifyApplication) => Promise<void> | void;
}

/**
 * Starts a Nest app on Fastify the same way in every service: request ids honoured from
 * `x-request-id`, the one error filter, shutdown hooks so Ctrl-C drains consumers and sessions.
 */
export async function startHttpApp(module: DynamicModule, options: HttpAppOptions): Promise<NestFastifyApplication> {
  // Before any module exists: every client the app builds calls the others through this trust.
  usePlatformTrust(options.tls);
  const tls = options.tls.enabled ? serverTls(options.tls) : undefined;
  const adapter: FastifyAdapter = new FastifyAdapter({
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // HTTP/2 where the client offers it by ALPN, HTTP/1.1 otherwise (curl, Node's fetch, Triton's clients).
    ...(tls ? { http2: true as const, https: { allowHTTP1: true, ...tls.options } } : {}),
    // The HTTP/2 server serves HTTP/1.1 requests through the same compatible request and reply
    // objects, so the app is typed as on node's http server.
  } as FastifyHttpOptions<RawServerDefault>);
  const routes = recordRoutes(adapter);
  // Hooks on the root before any plugin or route exists, so every route and scope gets them.
  const fastify = adapter.getInstance();
  // The process's tracer (FALAJ_TRACE_*; off by default) before any module exists, and the edge
  // span of every HTTP request with `traceresponse` on its answer; spans still queued are sent at close.
  const tracer = installTracing(loadTracingConfig(options.name));
  registerHttpTracing(fastify, tracer);
  fastify.addHook('onClose', async () => {
    const failed = await tracer.shutdown();
    if (failed !== undefined) fastify.log.warn({ error: failed }, 'the last spans could not be exported');
  });
  fastify.addHook('onRequest', setSecurityHeaders);
  // Errors Fastify raises itself before any handler runs (a body over the limit, a bad encoding,
  // a zip bomb stopped at the limit) take the same shape as every other refusal, `{"error": "..."}`,
  // on Nest's routes and the raw ones alike, instead of Fastify's default body.
  fastify.setErrorHandler((error, request, reply) => sendError(error, request, reply));
  // Nest would set its own at init, in the same scope (Fastify warns FSTWRN004), and it reaches
  // only the routes made after it; this one already answers every route through the same mapping.
  adapter.setErrorHandler = () => fastify;
  let authenticate: ReturnType<typeof authenticateOnRequest> | undefined;
  fastify.addHook('onRequest', async (request, reply) => authenticate?.(request, reply));
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    bufferLogs: true,
    bodyParser: options.bodyParser ?? true,
  });
  // Authentication before the body is read, with the app's Authenticator (every app serving
  // callers imports AuthModule; without one there is no guard either, and nothing to check).
  const authenticator = optional(() => app.get(Authenticator, { strict: false }));
  if (authenticator) authenticate = authenticateOnRequest(authenticator);
  app.useLogger(appLogger(options.name, options.logLevel));
  app.useGlobalFilters(new HttpExceptionFilter());
  app.enableShutdownHooks();
  await options.configure?.(app);
  await app.listen(options.port, options.host);
  tls?.attach(app.getHttpServer() as unknown as TlsServer);
  new Logger(options.name).log(
    tls
      ? `listening on https://${options.host}:${options.port} (HTTP/2 and HTTP/1.1; client certificates: ${options.tls.enabled && options.tls.clientAuth})`
      : `listening on http://${options.host}:${options.port} (plain HTTP: FALAJ_PLAINTEXT=true)`,
  );
  // The security spec calls every route of the table, so a new route cannot ship unguarded.
  if (process.env.FALAJ_ROUTE_TABLE_PATH) writeFileSync(process.env.FALAJ_ROUTE_TABLE_PATH, JSON.stringify(routes));
  return app;
}

function optional<T>(get: () => T): T | undefined {
  try {
    return get();
  } catch {
    return undefined;
  }
}

/** Every route Fastify registers, Nest's and the raw ones alike (HEAD is GET's twin). */
function recordRoutes(adapter: FastifyAdapter): { method: string; url: string }[] {
  const routes: { method: string; url: string }[] = [];
  adapter.getInstance().addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url });
  });
  return routes;
}

/** Runs an app's bootstrap, printing a configuration error plainly instead of a stack. */
export function runMain(name: string, main: () => Promise<INestApplication | void>): void {
  exitWithParent(name);
  main().catch((error: unknown) => {
    const message = error instanceof Error && error.name === 'ConfigError' ? error.message : error;

    console.error(`[${name}] failed to start:`, message);
    process.exit(1);
  });
}

/**
 * With `FALAJ_EXIT_WITH_PARENT=true` (set by the test and benchmark harness), the app shuts down
 * as on Ctrl-C once the process that started it is gone: a harness killed mid-run (a CI timeout,
 * a closed pipe) would otherwise leave five apps running, holding ports and CPU.
 */
function exitWithParent(name: string): void {
  if (process.env.FALAJ_EXIT_WITH_PARENT !== 'true') return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    new Logger(name).warn(`the process that started ${name} (pid ${parent}) is gone; shutting down`);
    process.kill(process.pid, 'SIGTERM');
  }, 1000);
  timer.unref();
}
