import fastifyStatic from '@fastify/static';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { markRoutePublic } from '@falaj/auth';
import { CONSOLE_CSP, cacheControlOf } from './console-headers';

/** Where `npm run build` puts the console: dist/console, beside dist/apps (this file is dist/apps/gateway/src/console/). */
export const CONSOLE_DIR = join(__dirname, '..', '..', '..', '..', 'console');

/**
 * The web console at `/console/` (issue 18): static files only, public like /docs, since they hold
 * no data: every call the console makes is an API call with the signed-in user's token. Hashed
 * assets are cached for a year; index.html never, so a new build is seen at once. Any other path
 * under /console/ is the SPA's own route: index.html. Nothing else of the folder is served.
 * Registered as a Fastify scope at module init (before the app listens), so `markRoutePublic`
 * reaches these routes only.
 */
@Injectable()
export class ConsoleSite implements OnModuleInit {
  private readonly logger = new Logger(ConsoleSite.name);

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  async onModuleInit(): Promise<void> {
    const indexFile = join(CONSOLE_DIR, 'index.html');
    if (!existsSync(indexFile)) {
      this.logger.warn({ dir: CONSOLE_DIR }, 'no console build: /console is not served (run npm run build)');
      return;
    }
    const index = readFileSync(indexFile);
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    await fastify.register(async (scope: FastifyInstance) => {
      scope.addHook('onRoute', markRoutePublic);
      await scope.register(fastifyStatic, {
        root: join(CONSOLE_DIR, 'assets'),
        prefix: '/console/assets/',
        decorateReply: false,
        index: false,
        list: false,
        dotfiles: 'deny',
        cacheControl: false,
        setHeaders: (response, path) => {
          void response.header('cache-control', cacheControlOf(path));
          void response.header('content-security-policy', CONSOLE_CSP);
        },
      });
      const page = (_request: FastifyRequest, reply: FastifyReply) =>
        reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', cacheControlOf('index.html')).header('content-security-policy', CONSOLE_CSP).send(index);
      scope.get('/console', (_request, reply) => reply.redirect('/console/', 302));
      scope.get('/console/*', page);
    });
    this.logger.log({ dir: CONSOLE_DIR }, 'console served at /console/');
  }
}
