import Fastify, { type FastifyInstance } from 'fastify';
import type { AuthenticatedRequest } from './auth.decorators';
import { PUBLIC_ROUTE_CONFIG, authenticateOnRequest, markRoutePublic } from './authenticate-on-request';
import type { Authenticator } from './authenticator';
import { InvalidTokenError } from './invalid-token.error';
import type { Principal } from './principal';

const alice: Principal = { subject: 'alice', tenantId: 'acme', scopes: ['infer'] };

/** An Authenticator that knows one token. */
const authenticator = {
  authenticate: async (authorization: string | string[] | undefined) => {
    if (authorization === 'Bearer good') return alice;
    throw new InvalidTokenError(authorization ? 'invalid token' : 'missing bearer token');
  },
} as unknown as Authenticator;

describe('authenticateOnRequest', () => {
  let app: FastifyInstance;
  let bodiesRead = 0;

  beforeAll(async () => {
    app = Fastify();
    app.addHook('onRequest', authenticateOnRequest(authenticator));
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => {
      bodiesRead++;
      done(null, body);
    });
    app.post('/infer', async (request) => ({ principal: (request as typeof request & AuthenticatedRequest).principal }));
    app.get('/health', { config: PUBLIC_ROUTE_CONFIG }, async () => ({ ok: true }));
    await app.register(async (scope) => {
      scope.addHook('onRoute', markRoutePublic);
      scope.get('/docs', async () => 'page');
    });
    app.get('/after-docs', async () => 'guarded');
    await app.ready();
  });

  afterAll(async () => {
    await app.close();
  });

  it('answers 401 before the body is read', async () => {
    const answer = await app.inject({ method: 'POST', url: '/infer', headers: { 'content-type': 'application/json' }, payload: '{"big":true}' });
    expect(answer.statusCode).toBe(401);
    expect(answer.json()).toEqual({ error: 'missing bearer token', code: 'unauthorized' });
    expect((await app.inject({ method: 'POST', url: '/infer', headers: { authorization: 'Bearer bad', 'content-type': 'application/json' }, payload: '{}' })).statusCode).toBe(401);
    expect(bodiesRead).toBe(0);
  });

  it('keeps the principal on the request for the guard and the handler', async () => {
    const answer = await app.inject({ method: 'POST', url: '/infer', headers: { authorization: 'Bearer good', 'content-type': 'application/json' }, payload: '{}' });
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toEqual({ principal: alice });
    expect(bodiesRead).toBe(1);
  });

  it('leaves public routes open: by route config, or marked as a scope registers them', async () => {
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/docs' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/after-docs' })).statusCode).toBe(401);
  });

  it('refuses an unknown route without credentials too (no 404 body is read either)', async () => {
    expect((await app.inject({ method: 'POST', url: '/nowhere', headers: { 'content-type': 'application/json' }, payload: '{}' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/nowhere', headers: { authorization: 'Bearer good' } })).statusCode).toBe(404);
  });
});
