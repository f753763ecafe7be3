import { readFileSync } from 'node:fs';
import * as protoLoader from '@grpc/proto-loader';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { request } from 'undici';
import { OIP_GRPC_LOADER_OPTIONS, OIP_GRPC_PROTO_PATH } from '@falaj/oip';
import { FalajSuite, LocalIssuer, OipGrpcClient } from '@falaj/testing';

/**
 * Every route of every app, read from the route table each app's Fastify recorded as it started
 * (Nest's controllers, the raw routes, the proxy's), and every method of the gRPC service
 * definition, called without credentials (401 / UNAUTHENTICATED) and with a valid token that
 * holds no scope (403 / PERMISSION_DENIED). A route added without a guard fails here: it is
 * either guarded or named below, with the reason it may be open.
 */
const APPS = ['gateway', 'registry', 'router', 'cpu-worker', 'gpu-worker'] as const;

/**
 * Open by design: health, metrics, the OAuth endpoints (they authenticate clients and users
 * themselves; the gateway forwards the browser-facing ones), static pages (/docs, the console).
 */
const PUBLIC: Record<(typeof APPS)[number], string[]> = {
  gateway: [
    'GET /v2/health/live',
    'GET /v2/health/ready',
    'GET /docs',
    'GET /docs/assets/*',
    'GET /console',
    'GET /console/*',
    'GET /console/assets/*',
    'GET /oauth2/authorize',
    'POST /oauth2/authorize',
    'POST /oauth2/token',
  ],
  registry: [
    'GET /health/live',
    'GET /health/ready',
    'GET /.well-known/openid-configuration',
    'GET /.well-known/jwks.json',
    'POST /oauth2/token',
    'POST /oauth2/revoke',
    'GET /oauth2/authorize',
    'POST /oauth2/authorize',
  ],
  router: ['GET /health/live', 'GET /health/ready', 'GET /metrics'],
  'cpu-worker': ['GET /health/live', 'GET /health/ready'],
  'gpu-worker': ['GET /health/live', 'GET /health/ready'],
};

/**
 * The gateway's proxy to the registry authenticates (401 here) and forwards; the scope is the
 * registry's to check, and the registry's own routes are called below.
 */
const FORWARDED = new Set(['/admin', '/admin/*', '/v2/batch', '/v2/batch/*', '/v2/async', '/v2/async/*']);

/** Authenticated but needing no scope: documentation any caller of the API may read. */
const AUTHENTICATED_ONLY: Record<string, string[]> = { registry: ['GET /admin/openapi.json'] };

/** gRPC methods open by design: liveness and readiness, as REST's health. */
const PUBLIC_GRPC = new Set(['ServerLive', 'ServerReady']);

const concrete = (url: string) => url.replace(/:[^/]+/g, 'x').replace(/\*/g, 'x');

describe('every route is guarded', () => {
  const suite = new FalajSuite();
  const partner = new LocalIssuer();
  let scopeless: string;

  beforeAll(async () => {
    await partner.start();
    await suite.start({ gpuWorker: true, trustedIssuers: [{ issuer: partner.url, tenants: ['acme'] }] });
    scopeless = await partner.sign({ sub: 'no-scopes', tenant: 'acme', scope: '' });
  }, 180_000);

  afterAll(async () => {
    await suite.stop();
    await partner.stop();
  }, 60_000);

  /** Any method Fastify may register (the proxy's `all` includes TRACE and others fetch refuses). */
  const call = async (app: string, method: string, url: string, token?: string) => {
    const withBody = ['POST', 'PUT', 'PATCH'].includes(method);
    const answer = await request(`${suite.appUrl(app)}${concrete(url)}`, {
      method: method as 'GET',
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(withBody ? { 'content-type': 'application/json' } : {}) },
      body: withBody ? '{}' : undefined,
    });
    await answer.body.dump();
    return { status: answer.statusCode };
  };

  it.each(APPS)(
    '%s: 401 without credentials and 403 without the scope on every route not named public',
    async (app) => {
      const table = suite.routeTable(app);
      expect(table.length).toBeGreaterThan(2);
      const open = new Set(PUBLIC[app]);
      const seen = new Set(table.map((r) => `${r.method} ${r.url}`));
      // The public list names only routes that exist (a renamed route cannot stay open by accident).
      for (const route of open) expect(seen).toContain(route);
      const problems: string[] = [];
      for (const { method, url } of table) {
        const route = `${method} ${url}`;
        // CONNECT is a proxy's tunnel, never an API call (no client can send it to a path).
        if (open.has(route) || method === 'CONNECT') continue;
        const anonymous = await call(app, method, url);
        if (anonymous.status !== 401) problems.push(`${route}: ${anonymous.status} without credentials`);
        if ((app === 'gateway' && FORWARDED.has(url)) || AUTHENTICATED_ONLY[app]?.includes(route)) continue;
        const unscoped = await call(app, method, url, scopeless);
        if (unscoped.status !== 403) problems.push(`${route}: ${unscoped.status} with a token without scopes`);
      }
      expect(problems).toEqual([]);
      // Two calls per route, one after another: the registry's ~60 routes take seconds on a busy machine.
    },
    60_000,
  );

  it('gRPC: UNAUTHENTICATED without credentials and PERMISSION_DENIED without the scope on every method but health', async () => {
    const definition = protoLoader.loadSync(OIP_GRPC_PROTO_PATH, OIP_GRPC_LOADER_OPTIONS);
    const service = definition['inference.GRPCInferenceService'] as Record<string, unknown>;
    const methods = Object.keys(service);
    expect(methods).toEqual(expect.arrayContaining(['ModelInfer', 'ModelMetadata', 'ServerLive']));
    for (const name of PUBLIC_GRPC) expect(methods).toContain(name);
    const anonymous = new OipGrpcClient(suite.grpcTarget, '');
    const unscoped = new OipGrpcClient(suite.grpcTarget, scopeless);
    try {
      for (const method of methods.filter((m) => !PUBLIC_GRPC.has(m))) {
        await expect(anonymous.call(method, {})).rejects.toMatchObject({ code: GrpcStatus.UNAUTHENTICATED });
        await expect(unscoped.call(method, {})).rejects.toMatchObject({ code: GrpcStatus.PERMISSION_DENIED });
      }
    } finally {
      anonymous.close();
      unscoped.close();
    }
  });

  it('records the route table it checks (the guard spec reads what the apps really serve)', () => {
    const registry = suite.routeTable('registry').map((r) => `${r.method} ${r.url}`);
    expect(registry).toEqual(expect.arrayContaining(['POST /admin/tenants', 'GET /internal/artifacts/:sha256', 'POST /oauth2/token']));
    expect(readFileSync(OIP_GRPC_PROTO_PATH, 'utf8')).toContain('service GRPCInferenceService');
  });
});
