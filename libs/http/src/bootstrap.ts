import { Logger, Module, type DynamicModule, type INestApplication, type LogLevel } from '@nestjs/common';
import type { RouteInfo } from '@nestjs/common/interfaces';
import { NestFactory } from '@nestjs/core';
import { Logger as PinoLogger, LoggerModule } from 'nestjs-pino';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { HttpExceptionFilter } from './http-exception.filter';

const PINO_LEVEL: Record<LogLevel, string> = { fatal: 'fatal', error: 'error', warn: 'warn', log: 'info', debug: 'debug', verbose: 'trace' };

/** The root every app starts from: structured JSON logs (pino), then the app's own module. */
@Module({})
class AppRoot {
  static with(module: DynamicModule | (new () => unknown), name: string, level: LogLevel, unlogged: RouteInfo[] = []): DynamicModule {
    const pretty = process.env.FALAJ_LOG_PRETTY === 'true';
    return {
      module: AppRoot,
      imports: [
        LoggerModule.forRoot({
          ...(unlogged.length > 0 ? { exclude: unlogged } : {}),
          pinoHttp: {
            name,
            level: PINO_LEVEL[level],
            // Per-request logs would sit on the inference hot path; the audit log covers calls.
            autoLogging: false,
            // A line logged while a request is handled names the request, never its headers:
            // they carry credentials (bearer tokens, API keys), which must not reach a log.
            serializers: { req: (req: { id?: unknown; method?: string; url?: string }) => ({ id: req.id, method: req.method, url: req.url }) },
            redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["proxy-authorization"]'], censor: '[redacted]' },
            ...(pretty ? { transport: { target: 'pino-pretty', options: { singleLine: true, translateTime: 'HH:MM:ss.l' } } } : {}),
          },
        }),
        module,
      ],
    };
  }
}

export interface HttpAppOptions {
  name: string;
  host: string;
  port: number;
  logLevel: LogLevel;
  /** Largest request body Fastify accepts, in bytes (413 beyond). */
  bodyLimit?: number;
  /** Nest's JSON and urlencoded body parsers (default true); false when the app reads bodies itself. */
  bodyParser?: boolean;
  /**
   * Hot routes that get no request-scoped logger (pino-http's child logger and the async-local
   * context it runs in cost every request; lines logged there still go out, without the request).
   */
  unloggedRoutes?: RouteInfo[];
  /** Hook to register Fastify plugins or raw routes before Nest's own. */
  configure?: (app: NestFastifyApplication) => Promise<void> | void;
}

/**
 * Starts a Nest app on Fastify the same way in every service: request ids honoured from
 * `x-request-id`, the one error filter, shutdown hooks so Ctrl-C drains consumers and sessions.
 */
export async function startHttpApp(module: DynamicModule, options: HttpAppOptions): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppRoot.with(module, options.name, options.logLevel, options.unloggedRoutes), adapter, {
    bufferLogs: true,
    bodyParser: options.bodyParser ?? true,
  });
  app.useLogger(app.get(PinoLogger));
  app.useGlobalFilters(new HttpExceptionFilter());
  app.enableShutdownHooks();
  await options.configure?.(app);
  await app.listen(options.port, options.host);
  new Logger(options.name).log(`listening on http://${options.host}:${options.port}`);
  return app;
}

/** Runs an app's bootstrap, printing a configuration error plainly instead of a stack. */
export function runMain(name: string, main: () => Promise<INestApplication | void>): void {
  exitWithParent(name);
  main().catch((error: unknown) => {
    const message = error instanceof Error && error.name === 'ConfigError' ? error.message : error;
    // eslint-disable-next-line no-console -- the logger may not exist yet when configuration fails
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
