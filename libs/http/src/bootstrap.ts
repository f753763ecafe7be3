import { Logger, type INestApplication, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { HttpExceptionFilter } from './http-exception.filter';

const LEVELS: LogLevel[] = ['error', 'warn', 'log', 'debug', 'verbose'];

export interface HttpAppOptions {
  name: string;
  host: string;
  port: number;
  logLevel: LogLevel;
  /** Largest request body Fastify accepts, in bytes (413 beyond). */
  bodyLimit?: number;
  /** Hook to register Fastify plugins or raw routes before Nest's own. */
  configure?: (app: NestFastifyApplication) => Promise<void> | void;
}

/**
 * Starts a Nest app on Fastify the same way in every service: request ids honoured from
 * `x-request-id`, the one error filter, shutdown hooks so Ctrl-C drains consumers and sessions.
 */
export async function startHttpApp(module: Parameters<typeof NestFactory.create>[0], options: HttpAppOptions): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
  });
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    logger: LEVELS.slice(0, LEVELS.indexOf(options.logLevel) + 1),
    bufferLogs: true,
  });
  app.useGlobalFilters(new HttpExceptionFilter());
  app.enableShutdownHooks();
  await options.configure?.(app);
  await app.listen(options.port, options.host);
  new Logger(options.name).log(`listening on http://${options.host}:${options.port}`);
  return app;
}

/** Runs an app's bootstrap, printing a configuration error plainly instead of a stack. */
export function runMain(name: string, main: () => Promise<INestApplication | void>): void {
  main().catch((error: unknown) => {
    const message = error instanceof Error && error.name === 'ConfigError' ? error.message : error;
    // eslint-disable-next-line no-console -- the logger may not exist yet when configuration fails
    console.error(`[${name}] failed to start:`, message);
    process.exit(1);
  });
}
