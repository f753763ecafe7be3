import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { markRoutePublic } from '@falaj/auth';

/** Swagger UI's assets as @nestjs/swagger ships them (its own dependency, resolved from it). */
const SWAGGER_UI_DIR = dirname(require.resolve('swagger-ui-dist/package.json', { paths: [dirname(require.resolve('@nestjs/swagger'))] }));

/**
 * Swagger UI at `/docs`. The page and its scripts are static and hold no data; the admin API's
 * document (`/admin/openapi.json`, proxied to the registry) needs a credential like every other
 * admin call. The page asks for a token (or API key) first, fetches the document with it, and
 * pre-authorizes Swagger's "Try it out" with the same credential; nothing is stored server-side.
 */
export async function registerSwaggerUi(app: NestFastifyApplication): Promise<void> {
  await app.register(async (scope: FastifyInstance) => {
    // Public: the page and the assets, and only they (onRoute is encapsulated in this scope).
    scope.addHook('onRoute', markRoutePublic);
    await scope.register(fastifyStatic, { root: SWAGGER_UI_DIR, prefix: '/docs/assets/', decorateReply: false, index: false });
    scope.get('/docs', (_request, reply) => {
      void reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').header('content-security-policy', DOCS_CSP).send(PAGE);
    });
  });
}

/** The page's own script: the CSP allows it by its hash, and no other inline script. */
const SCRIPT = `
    document.getElementById('login').addEventListener('submit', async (event) => {
      event.preventDefault();
      const credential = document.getElementById('credential').value.trim();
      const response = await fetch('/admin/openapi.json', { headers: { authorization: 'Bearer ' + credential } });
      if (!response.ok) {
        document.getElementById('error').textContent = (await response.json().catch(() => ({}))).error || response.statusText;
        return;
      }
      document.getElementById('login').remove();
      const ui = SwaggerUIBundle({ spec: await response.json(), dom_id: '#swagger-ui' });
      ui.preauthorizeApiKey('bearer', credential);
    });
  `;

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Falaj admin API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <style>
    #login { font-family: sans-serif; max-width: 40rem; margin: 3rem auto; }
    #login input { width: 100%; padding: .5rem; font-family: monospace; }
    #login .error { color: #b00; }
  </style>
</head>
<body>
  <form id="login">
    <h2>Falaj admin API</h2>
    <p>The API description, like the API itself, needs a credential: paste a bearer token or an API key (<code>fj_…</code>).
       It stays in this page and is sent only to this gateway.</p>
    <input id="credential" type="password" autocomplete="off" placeholder="eyJhbGciOi… or fj_…" required>
    <p><button type="submit">Open</button> <span class="error" id="error"></span></p>
  </form>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script>${SCRIPT}</script>
</body>
</html>
`;

/**
 * Swagger UI's needs and no more: its scripts and styles from /docs/assets (inline styles: it sets
 * style attributes), its icons as data: URIs, calls to this gateway only, and never framed.
 */
const DOCS_CSP = [
  "default-src 'none'",
  `script-src 'self' 'sha256-${createHash('sha256').update(SCRIPT).digest('base64')}'`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');
