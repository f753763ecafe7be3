import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { SignJWT, base64url, decodeJwt, decodeProtectedHeader } from 'jose';
import type { Consumer, KafkaMessage } from 'kafkajs';
import { inferenceStreamTopics, tenantReplyTopicNamespace } from '@falaj/contracts';
import { FalajSuite, LocalIssuer, OipGrpcClient, ensureCertificates, eventually, keycloakIssuer, keycloakToken, keycloakTokenResponse, type SuiteClient, testKafka, testTlsDir } from '@falaj/testing';

/**
 * Zero-trust identity, end to end: the five apps against real Postgres, Redis and Kafka, two
 * external issuers besides the built-in one — Keycloak (real, `infra.sh up keycloak`) and a
 * loopback issuer that signs whatever an attacker would send with a key the apps trust — and
 * every protocol: REST, gRPC and the Kafka bridge.
 */
const MODEL = join(__dirname, '..', 'models', 'tiny-mlp.onnx');
const INPUT = { name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] };
const infer = { inputs: [INPUT] };
jest.setTimeout(120_000);

type Jwks = { keys: ({ kid: string; d?: string } & Record<string, unknown>)[] };

describe('zero-trust identity (e2e)', () => {
  const partner = new LocalIssuer();
  const stranger = new LocalIssuer();
  const suite = new FalajSuite();
  // Two enterprise IdPs over HTTPS with a certificate of the platform's CA: one trusted with that
  // CA (tlsTrust 'platform'), one with the system store only (the default), which does not vouch for it.
  ensureCertificates(testTlsDir());
  const vouched = new LocalIssuer({ tls: suite.certificate('partner-idp') });
  const unvouched = new LocalIssuer({ tls: suite.certificate('partner-idp') });
  const topics = inferenceStreamTopics(suite.prefix);
  const kafka = testKafka('e2e-identity');
  const producer = kafka.producer();
  const consumers: Consumer[] = [];
  const responses = new Map<string, KafkaMessage>();
  const deadLetters = new Map<string, KafkaMessage>();
  let admin: string;
  let acme: SuiteClient;
  let acmeToken: string;
  let grpc: (token: string) => OipGrpcClient;
  const grpcClients: OipGrpcClient[] = [];

  /** Publishes one request and waits for its answer or its dead letter. */
  const stream = async (authorization: string | undefined): Promise<{ status?: string; reason?: string; body?: { outputs?: unknown[]; error?: string } }> => {
    const id = `id-${randomUUID()}`;
    await producer.send({
      topic: topics.requests,
      messages: [{ key: id, value: JSON.stringify({ model_name: 'tiny-mlp', ...infer }), headers: { 'request-id': id, ...(authorization ? { authorization } : {}) } }],
    });
    return eventually(
      `the answer to ${id}`,
      async () => {
        const answer = responses.get(id);
        if (answer) return { status: answer.headers!.status!.toString(), body: JSON.parse(answer.value!.toString()) };
        const dead = deadLetters.get(id);
        return dead ? { reason: dead.headers!['dlq-reason']!.toString() } : undefined;
      },
      60_000,
      50,
    );
  };

  beforeAll(async () => {
    await Promise.all([partner.start(), stranger.start(), vouched.start(), unvouched.start()]);
    await suite.start({
      trustedIssuers: [
        // An enterprise IdP speaking for two tenants, with Falaj's scopes in `scope`.
        { issuer: keycloakIssuer(), audiences: ['falaj'], algorithms: ['RS256'], tenants: ['acme', 'globex'] },
        { issuer: partner.url, audiences: ['falaj'], algorithms: ['ES256'], tenants: ['acme'] },
        { issuer: vouched.url, audiences: ['falaj'], algorithms: ['ES256'], tenants: ['acme'], tlsTrust: 'platform' },
        { issuer: unvouched.url, audiences: ['falaj'], algorithms: ['ES256'], tenants: ['acme'] },
      ],
    });
    admin = await suite.platformAdminToken();
    for (const id of ['acme', 'globex']) await suite.call('POST', '/admin/tenants', admin, { id, name: id, residency: 'ae' });
    acme = await suite.createClient('acme', ['infer', 'models:read', 'models:write'], 'acme-app');
    acmeToken = await suite.clientToken(acme);
    await suite.call('POST', '/admin/models', acmeToken, { name: 'tiny-mlp' });
    await suite.call('POST', '/admin/models/tiny-mlp/versions', acmeToken, readFileSync(MODEL), { 'content-type': 'application/octet-stream' });
    await suite.call('POST', '/admin/models/tiny-mlp/versions/1/stage', acmeToken, { stage: 'production' });
    await eventually('model ready', async () => ((await suite.call('GET', '/v2/models/tiny-mlp/ready', acmeToken)).status === 200 ? true : undefined));
    grpc = (token: string) => {
      const client = new OipGrpcClient(suite.grpcTarget, token);
      grpcClients.push(client);
      return client;
    };
    await producer.connect();
    await eventually('streaming topics', async () => {
      const kadmin = kafka.admin();
      await kadmin.connect();
      const existing = await kadmin.listTopics().finally(() => kadmin.disconnect());
      return existing.includes(tenantReplyTopicNamespace(suite.prefix, 'acme')) && existing.includes(topics.dlq) ? true : undefined;
    });
    // Answers land on each tenant's own reply topic; there is no shared one.
    for (const [topic, into] of [
      [tenantReplyTopicNamespace(suite.prefix, 'acme'), responses],
      [tenantReplyTopicNamespace(suite.prefix, 'globex'), responses],
      [topics.dlq, deadLetters],
    ] as const) {
      const consumer = kafka.consumer({ groupId: `${suite.prefix}-e2e-${topic}`, readUncommitted: false });
      consumers.push(consumer);
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void into.set(message.key!.toString(), message) });
    }
  }, 180_000);

  afterAll(async () => {
    for (const client of grpcClients) client.close();
    for (const consumer of consumers) await consumer.disconnect();
    await producer.disconnect();
    await suite.stop();
    await Promise.all([partner.stop(), stranger.stop(), vouched.stop(), unvouched.stop()]);
  }, 60_000);

  describe('the built-in issuer', () => {
    it('publishes OIDC discovery and an ES256 key set, and issues short-lived access tokens by client credentials', async () => {
      const discovery = (await (await fetch(`${suite.registryUrl}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
      expect(discovery).toMatchObject({ issuer: suite.registryUrl, token_endpoint: suite.tokenUrl, grant_types_supported: ['client_credentials', 'authorization_code'] });
      const jwks = (await (await fetch(discovery.jwks_uri)).json()) as Jwks;
      expect(jwks.keys.length).toBeGreaterThan(0);
      for (const key of jwks.keys) expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      for (const key of jwks.keys) expect(key.d).toBeUndefined();

      const claims = decodeJwt(acmeToken);
      expect(decodeProtectedHeader(acmeToken)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
      expect(claims).toMatchObject({ iss: suite.registryUrl, aud: 'falaj', sub: acme.clientId, client_id: acme.clientId, tenant: 'acme', residency: 'ae', scope: 'infer models:read models:write' });
      expect(claims.exp! - claims.iat!).toBe(3600); // the suite's TTL; the default is 900 s
      expect(typeof claims.jti).toBe('string');
    });

    it('answers the token endpoint in RFC 6749 shape: bad client 401, bad grant or scope 400, never a platform scope to a tenant', async () => {
      const post = (body: Record<string, string>, client: SuiteClient | null = acme) =>
        fetch(suite.tokenUrl, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            ...(client ? { authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}` } : {}),
          },
          body: new URLSearchParams(body).toString(),
        });
      const wrong = await post({ grant_type: 'client_credentials' }, { clientId: acme.clientId, clientSecret: 'x'.repeat(43) });
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get('cache-control')).toBe('no-store');
      expect(await wrong.json()).toMatchObject({ error: 'invalid_client' });
      expect((await post({ grant_type: 'client_credentials' }, null)).status).toBe(401);
      expect(await (await post({ grant_type: 'password' })).json()).toMatchObject({ error: 'unsupported_grant_type' });
      expect(await (await post({ grant_type: 'client_credentials', scope: 'infer platform:admin' })).json()).toMatchObject({ error: 'invalid_scope' });
      const narrowed = await (await post({ grant_type: 'client_credentials', scope: 'infer' })).json();
      expect(narrowed).toMatchObject({ token_type: 'Bearer', scope: 'infer', expires_in: 3600 });
      // A platform admin cannot hand a tenant's client a platform scope either.
      expect((await suite.call('POST', '/admin/tenants/acme/clients', admin, { name: 'x', scopes: ['platform:admin'] })).status).toBe(400);
      // Platform admin is a role of an account: a tenant's token cannot create tenants or clients.
      expect((await suite.call('POST', '/admin/tenants', acmeToken, { id: 'evil', name: 'E', residency: 'ae' })).status).toBe(403);
      expect((await suite.call('POST', '/admin/tenants/acme/clients', acmeToken, { name: 'x', scopes: ['infer'] })).status).toBe(403);
    });

    it('keeps signing keys encrypted at rest and client secrets hashed', async () => {
      const keys = await suite.query<{ private_key_encrypted: string; public_jwk: { d?: string } }>('SELECT private_key_encrypted, public_jwk FROM signing_keys');
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) {
        expect(key.public_jwk.d).toBeUndefined();
        expect(Buffer.from(key.private_key_encrypted, 'base64').toString('latin1')).not.toMatch(/PRIVATE KEY|\x30\x81\x87\x02\x01\x00/);
      }
      expect(JSON.stringify(await suite.query('SELECT * FROM oauth_clients'))).not.toContain(acme.clientSecret);
    });
  });

  describe('valid tokens pass on REST, gRPC and Kafka', () => {
    const cases: [string, () => Promise<string>][] = [
      ['the built-in issuer', async () => acmeToken],
      ['Keycloak', () => keycloakToken('acme-ingest')],
      ['an IdP over HTTPS whose certificate the platform CA vouches for', () => vouched.sign({ sub: 'partner-app', tenant: 'acme', scope: 'infer models:read' })],
    ];

    it.each(cases)('a token of %s', async (_issuer, token) => {
      const t = await token();
      const rest = await suite.call('POST', '/v2/models/tiny-mlp/infer', t, infer);
      expect(rest.status).toBe(200);
      expect(rest.json.outputs[0].data).toHaveLength(3);
      const viaGrpc = await grpc(t).infer({ model: 'tiny-mlp', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: Buffer.from(new Float32Array(INPUT.data).buffer) }] });
      expect(viaGrpc.outputs).toHaveLength(1);
      const viaKafka = await stream(`Bearer ${t}`);
      expect(viaKafka.status).toBe('200');
      expect(viaKafka.body!.outputs).toHaveLength(1);
    });

    it('maps Keycloak claims to the tenant: its token sees acme, and a globex token does not see acme', async () => {
      const globex = await keycloakToken('globex-ingest');
      expect((await suite.call('GET', '/v2/models/tiny-mlp', globex)).status).toBe(404);
      expect((await suite.call('GET', '/v2/models/tiny-mlp', await keycloakToken('acme-ingest'))).status).toBe(200);
    });
  });

  describe('bad tokens are 401 on every protocol', () => {
    const now = () => Math.floor(Date.now() / 1000);
    const claims = { sub: 'mallory', tenant: 'acme', scope: 'infer models:read' };
    const cases: [string, () => Promise<string>, RegExp][] = [
      [
        'alg none',
        async () =>
          `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${base64url.encode(JSON.stringify({ ...claims, iss: suite.registryUrl, aud: 'falaj', iat: now(), exp: now() + 60 }))}.`,
        /algorithm that is not allowed/,
      ],
      [
        'HS256 signed with the public key',
        async () => {
          const jwks = (await (await fetch(`${suite.registryUrl}/.well-known/jwks.json`)).json()) as Jwks;
          const key = jwks.keys.at(-1)!;
          return new SignJWT({ ...claims, iss: suite.registryUrl, aud: 'falaj', iat: now(), exp: now() + 60 })
            .setProtectedHeader({ alg: 'HS256', kid: key.kid })
            .sign(new TextEncoder().encode(JSON.stringify(key)));
        },
        /algorithm that is not allowed/,
      ],
      ['expired', () => partner.sign({ ...claims, iat: now() - 900, exp: now() - 120 }), /expired/],
      ['wrong audience (Keycloak, a client without the falaj audience)', () => keycloakToken('acme-no-audience'), /aud/],
      ['wrong audience (a trusted issuer)', () => partner.sign({ ...claims, aud: 'billing' }), /aud/],
      ['unknown kid', () => partner.sign(claims, { key: 'unpublished' }), /does not publish/],
      ['an issuer that is not configured', () => stranger.sign(claims), /not trusted/],
      ['a forged signature claiming the built-in issuer', () => stranger.sign({ ...claims, iss: suite.registryUrl }), /does not publish|signature/],
      ['a trusted issuer speaking for a tenant it may not', () => partner.sign({ ...claims, tenant: 'globex' }), /does not speak for/],
      ['a trusted issuer claiming the platform', () => partner.sign({ ...claims, tenant: '_platform', scope: 'platform:admin' }), /does not speak for/],
      ['a year-long token', () => partner.sign({ ...claims, iat: now(), exp: now() + 365 * 86400 }), /lives longer/],
      ['an IdP over HTTPS whose certificate the system store does not vouch for', () => unvouched.sign(claims), /is unreachable/],
    ];

    it.each(cases)('%s', async (_case, make, reason) => {
      const token = await make();
      const rest = await suite.call('POST', '/v2/models/tiny-mlp/infer', token, infer);
      expect(rest.status).toBe(401);
      expect(rest.json.error).toMatch(reason);
      await expect(grpc(token).call('ModelMetadata', { name: 'tiny-mlp' })).rejects.toMatchObject({ code: GrpcStatus.UNAUTHENTICATED });
      const viaKafka = await stream(`Bearer ${token}`);
      expect(viaKafka.reason).toMatch(/^unauthorized: /);
      expect(viaKafka.reason).toMatch(reason);
    });

    it('a wrong client secret gets no token from Keycloak either', async () => {
      expect((await keycloakTokenResponse('acme-ingest', 'not-the-secret')).status).toBe(401);
    });
  });

  describe('revocation', () => {
    /** Milliseconds until the token is refused on REST, polling every 25 ms. */
    const refusedWithin = async (token: string) => {
      const started = Date.now();
      await eventually('the token refused', async () => ((await suite.call('GET', '/v2/models/tiny-mlp', token)).status === 401 ? true : undefined), 10_000, 25);
      return Date.now() - started;
    };

    it('a revoked client stops working everywhere within seconds, and gets no new token', async () => {
      const client = await suite.createClient('acme', ['infer', 'models:read'], 'to-revoke');
      const token = await suite.clientToken(client);
      expect((await suite.call('GET', '/v2/models/tiny-mlp', token)).status).toBe(200);
      expect((await stream(`Bearer ${token}`)).status).toBe('200');
      const revoked = suite.call('DELETE', `/admin/tenants/acme/clients/${client.clientId}`, admin);
      const ms = await refusedWithin(token);
      expect((await revoked).json.revokedAt).toBeTruthy();
      console.log(`a revoked client's token was refused by the gateway ${ms} ms after the revocation was sent`);
      expect(ms).toBeLessThan(3000);
      expect((await suite.call('GET', '/v2/models/tiny-mlp', token)).json.error).toBe('token has been revoked');
      await expect(grpc(token).call('ModelMetadata', { name: 'tiny-mlp' })).rejects.toMatchObject({ code: GrpcStatus.UNAUTHENTICATED });
      expect((await stream(`Bearer ${token}`)).reason).toBe('unauthorized: token has been revoked');
      await expect(suite.clientToken(client)).rejects.toThrow(/401 invalid_client/);
    });

    it("refuses to revoke another tenant's client or another client's token", async () => {
      const victim = await suite.createClient('acme', ['models:read'], 'victim');
      const victimToken = await suite.clientToken(victim);
      // Another tenant's path names the client: not found, and the client keeps working.
      expect((await suite.call('DELETE', `/admin/tenants/globex/clients/${victim.clientId}`, admin)).status).toBe(404);
      // Another client presents the victim's token to the revocation endpoint: ignored (RFC 7009 §2.2).
      const attacker = await suite.createClient('globex', ['models:read'], 'attacker');
      const answer = await fetch(`${suite.registryUrl}/oauth2/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${attacker.clientId}:${attacker.clientSecret}`).toString('base64')}` },
        body: new URLSearchParams({ token: victimToken }).toString(),
      });
      expect(answer.status).toBe(200);
      // A forged token naming the victim's jti, signed by a key the issuer never published: ignored too.
      const forged = await stranger.sign({ iss: suite.registryUrl, sub: attacker.clientId, client_id: attacker.clientId, jti: decodeJwt(victimToken).jti });
      await fetch(`${suite.registryUrl}/oauth2/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${attacker.clientId}:${attacker.clientSecret}`).toString('base64')}` },
        body: new URLSearchParams({ token: forged }).toString(),
      });
      await new Promise((resolve) => setTimeout(resolve, 2500)); // past the revocation list's 2 s refresh: a revocation would have landed
      expect((await suite.call('GET', '/admin/models', victimToken)).status).toBe(200);
      expect(await suite.query('SELECT jti FROM revoked_tokens WHERE jti = $1', [decodeJwt(victimToken).jti])).toEqual([]);
    });

    it('one revoked token (RFC 7009) stops working while the client keeps getting fresh ones', async () => {
      const client = await suite.createClient('acme', ['models:read'], 'revokes-one');
      const token = await suite.clientToken(client);
      expect((await suite.call('GET', '/v2/models/tiny-mlp', token)).status).not.toBe(401);
      const answer = await fetch(`${suite.registryUrl}/oauth2/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}` },
        body: new URLSearchParams({ token }).toString(),
      });
      expect(answer.status).toBe(200);
      expect(await refusedWithin(token)).toBeLessThan(3000);
      const fresh = await suite.clientToken(client);
      expect((await suite.call('GET', '/v2/models/tiny-mlp', fresh)).status).toBe(403); // models:read, not infer: authenticated
    });
  });

  describe('key rotation', () => {
    it('publishes the next key before it signs and keeps the old one while its tokens live', async () => {
      const before = decodeProtectedHeader(acmeToken).kid;
      const rotated = await suite.call('POST', '/admin/signing-keys/rotate', admin);
      expect(rotated.status).toBe(202);
      const jwks = (await (await fetch(`${suite.registryUrl}/.well-known/jwks.json`)).json()) as Jwks;
      expect(jwks.keys.map((k: { kid: string }) => k.kid)).toEqual(expect.arrayContaining([before, rotated.json.kid]));
      // Until it activates the old key signs; then the new one, and both tokens verify.
      const next = await eventually(
        'a token of the new key',
        async () => {
          const token = await suite.clientToken(acme);
          return decodeProtectedHeader(token).kid === rotated.json.kid ? token : undefined;
        },
        15_000,
        250,
      );
      expect((await suite.call('POST', '/v2/models/tiny-mlp/infer', next, infer)).status).toBe(200);
      expect((await suite.call('POST', '/v2/models/tiny-mlp/infer', acmeToken, infer)).status).toBe(200);
      expect((await stream(`Bearer ${next}`)).status).toBe('200');
      const listed = (await suite.call('GET', '/admin/signing-keys', admin)).json.keys;
      expect(listed.find((k: { kid: string }) => k.kid === rotated.json.kid).state).toBe('signing');
      expect(listed.find((k: { kid: string }) => k.kid === before).state).toBe('retiring');
    });
  });

  describe("the apps' own identities", () => {
    it('workers fetch artifacts as their own client; the artifact route refuses tenants and anonymous callers', async () => {
      const [version] = await suite.query<{ sha256: string }>('SELECT sha256 FROM model_versions LIMIT 1');
      const url = `${suite.registryUrl}/internal/artifacts/${version.sha256}`;
      expect((await fetch(url)).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: `Bearer ${acmeToken}` } })).status).toBe(403);
      expect(suite.app('cpu-worker').logTail(10_000)).not.toMatch(/artifact.*(401|403)/);
    });

    it('never writes a token or a secret to any app log', async () => {
      const logs = readdirSync(join(suite.workDir, 'logs'))
        .map((f) => readFileSync(join(suite.workDir, 'logs', f), 'utf8'))
        .join('\n');
      expect(logs.length).toBeGreaterThan(0);
      for (const secret of [acmeToken, acmeToken.split('.')[2], acme.clientSecret, suite.admin.clientSecret, admin.split('.')[2]]) expect(logs).not.toContain(secret);
    });
  });
});
