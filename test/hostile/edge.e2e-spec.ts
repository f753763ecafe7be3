import { createHash } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGzip, gzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { SCOPES } from '@falaj/auth';
import { FalajSuite, OipGrpcClient, eventually, testTlsDir } from '@falaj/testing';
import { brokenModel } from '../support/onnx-fixtures';

/**
 * The gateway's edge under the review's attacks (issue 11, items 6–8), against the five built
 * apps: work before authentication (gzip bodies and a gzip bomb without a credential), path
 * traversal and header smuggling through the registry proxy, an undecodable gRPC message, a
 * model that fails at run time, and the security headers of every app's answers.
 */
const MLP = readFileSync(join(__dirname, '..', '..', 'models', 'tiny-mlp.onnx'));
const BODY = { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] }] };
const octet = { 'content-type': 'application/octet-stream' };
const APPS = ['gateway', 'registry', 'router', 'cpu-worker', 'gpu-worker'] as const;
const MB = 1024 * 1024;
/** The tests' CA (FalajSuite serves TLS from it), for the raw node:https requests. */
const suiteCaFile = join(testTlsDir(), 'ca.crt');
jest.setTimeout(120_000);

interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** A request exactly as written: node:http sends the path untouched (fetch and undici normalise dot segments). */
function raw(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<RawAnswer> {
  const { hostname, port, protocol } = new URL(base);
  const options = { host: hostname, port, method, path, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) } };
  // Over TLS (FalajSuite's default) node's https module sends the path untouched too.
  const send = (onResponse: (response: IncomingMessage) => void) =>
    protocol === 'https:' ? httpsRequest({ ...options, ca: readFileSync(suiteCaFile) }, onResponse) : httpRequest(options, onResponse);
  return new Promise((resolve, reject) => {
    const request = send((response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    // The server may answer (401) and close before it takes the whole body: that is the point.
    request.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
    request.end(body);
  });
}

/** gzip of `inflated` zero bytes, made in 1 MiB steps so the test never holds the inflated size. */
async function gzipOfZeros(inflated: number): Promise<Buffer> {
  const gzip = createGzip({ level: 9 });
  const chunks: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise((resolve) => gzip.on('end', resolve));
  const zeros = Buffer.alloc(MB);
  for (let written = 0; written < inflated; written += MB) {
    if (!gzip.write(zeros)) await new Promise((resolve) => gzip.once('drain', resolve));
  }
  gzip.end();
  await done;
  return Buffer.concat(chunks);
}

/** A unary call with the bytes given as the message, as a broken or hostile client sends them. */
function rawGrpc(target: { address: string; credentials: grpc.ChannelCredentials }, method: string, message: Buffer, token?: string): Promise<{ code: grpc.status; details: string }> {
  const client = new grpc.Client(target.address, target.credentials);
  const metadata = new grpc.Metadata();
  if (token) metadata.set('authorization', `Bearer ${token}`);
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      `/inference.GRPCInferenceService/${method}`,
      (bytes: Buffer) => bytes,
      (bytes: Buffer) => bytes,
      message,
      metadata,
      { deadline: Date.now() + 30_000 },
      (error) => {
        client.close();
        resolve({ code: error?.code ?? grpc.status.OK, details: error?.details ?? '' });
      },
    );
  });
}

describe("the gateway's edge under hostile input (e2e)", () => {
  const suite = new FalajSuite();
  let token = '';
  let sha = '';

  beforeAll(async () => {
    await suite.start({ gpuWorker: true });
    const admin = await suite.platformAdminToken();
    expect((await suite.call('POST', '/admin/tenants', admin, { id: 'edge', name: 'Edge', residency: 'ae' })).status).toBe(201);
    token = await suite.token({ tenantId: 'edge', scopes: [SCOPES.infer, SCOPES.modelsRead, SCOPES.modelsWrite] });
    for (const [name, bytes] of [
      ['mlp', MLP],
      ['broken', brokenModel()],
    ] as const) {
      expect((await suite.call('POST', '/admin/models', token, { name })).status).toBe(201);
      const version = await suite.call('POST', `/admin/models/${name}/versions`, token, bytes, octet);
      expect(version.status).toBe(201);
      if (name === 'mlp') sha = version.json.sha256;
      expect((await suite.call('POST', `/admin/models/${name}/versions/1/stage`, token, { stage: 'production' })).status).toBe(200);
    }
    for (const name of ['mlp', 'broken']) {
      await eventually(`${name} ready`, async () => ((await suite.call('GET', `/v2/models/${name}/ready`, token)).status === 200 ? true : undefined), 60_000);
    }
  }, 180_000);

  afterAll(async () => {
    await suite.stop();
  }, 60_000);

  describe('work before authentication', () => {
    it('answers unauthenticated gzip bodies and a gzip bomb with 401 without inflating them', async () => {
      const gateway = suite.app('gateway');
      const body = gzipSync(Buffer.alloc(16 * MB), { level: 9 }); // ~16 KB on the wire, 16 MiB inflated
      const bomb = await gzipOfZeros(512 * MB); // ~0.5 MB on the wire
      expect(body.length).toBeLessThan(20 * 1024);
      const headers = { 'content-type': 'application/json', 'content-encoding': 'gzip' };
      // Warm the 401 path first, so what follows measures the bodies and not the first call's code.
      for (let i = 0; i < 3; i++) expect((await raw(suite.gatewayUrl, 'POST', '/v2/models/mlp/infer', headers, body)).status).toBe(401);
      const before = gateway.rssBytes();
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, gateway.rssBytes())), 5);
      let answers: RawAnswer[];
      try {
        answers = await Promise.all([
          ...Array.from({ length: 12 }, (_, i) => raw(suite.gatewayUrl, 'POST', i % 2 ? '/v2/models/mlp/infer' : '/v1/models/mlp:predict', headers, body)),
          ...Array.from({ length: 12 }, () => raw(suite.gatewayUrl, 'POST', '/v2/models/mlp/infer', { ...headers, authorization: 'Bearer not-a-token' }, body)),
          raw(suite.gatewayUrl, 'POST', '/v2/models/mlp/infer', headers, bomb),
        ]);
      } finally {
        clearInterval(sampler);
      }
      peak = Math.max(peak, gateway.rssBytes());
      process.stdout.write(
        `gateway RSS ${(before / MB).toFixed(1)} MiB before 24 unauthenticated 16 KB gzip bodies and a ${(bomb.length / 1024).toFixed(0)} KB gzip bomb; peak ${(peak / MB).toFixed(1)} MiB (+${((peak - before) / MB).toFixed(1)} MiB); statuses ${[...new Set(answers.map((a) => a.status))].join(', ')}\n`,
      );
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => 401));
      expect(JSON.parse(answers[0].text)).toEqual({ error: 'missing bearer token', code: 'unauthorized' });
      expect(peak - before).toBeLessThan(8 * MB);
      // Authenticated callers still get their gzip bodies inflated.
      const zipped = await raw(suite.gatewayUrl, 'POST', '/v2/models/mlp/infer', { ...headers, authorization: `Bearer ${token}` }, gzipSync(JSON.stringify(BODY)));
      expect(zipped.status).toBe(200);
    });

    it('keeps health open and the guard in charge of scopes', async () => {
      expect((await raw(suite.gatewayUrl, 'GET', '/v2/health/ready')).status).toBe(200);
      expect((await raw(suite.gatewayUrl, 'GET', '/docs')).status).toBe(200);
      const reader = await suite.token({ tenantId: 'edge', scopes: [SCOPES.modelsRead] });
      const refused = await suite.call('POST', '/v2/models/mlp/infer', reader, BODY);
      expect(refused.status).toBe(403);
      expect(refused.json).toEqual({ error: `requires scope ${SCOPES.infer}`, code: 'forbidden' });
    });

    it('refuses a gRPC call without a credential before its message is read', async () => {
      const anonymous = await rawGrpc(suite.grpcTarget, 'ModelInfer', Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff]));
      expect(anonymous.code).toBe(grpc.status.UNAUTHENTICATED);
    });
  });

  describe('path traversal through the registry proxy', () => {
    const spellings = () => [
      `/v2/batch/../../internal/artifacts/${sha}`,
      `/v2/batch/jobs/../../../internal/artifacts/${sha}`,
      '/admin/../health/ready',
      '/admin/%2e%2e/health/ready',
      '/admin/%2E%2E/health/ready',
      '/admin/.%2e/health/ready',
      '/admin/%2e./health/ready',
      '/admin/./models',
      '/admin/%2e/models',
      `/v2/async/..%2f..%2finternal/artifacts/${sha}`,
      '/admin/models%2F..%2F..%2Fhealth/ready',
      '/admin/..%5chealth%5cready',
      '/admin/..%5Chealth/ready',
      '/admin/%252e%252e/health/ready',
      '/admin/..\\health\\ready',
    ];

    it('answers every spelling with 400 from the gateway, never a registry route', async () => {
      const problems: string[] = [];
      for (const path of spellings()) {
        const answer = await raw(suite.gatewayUrl, 'GET', path, { authorization: `Bearer ${token}` });
        const parsed = JSON.parse(answer.text || '{}') as { error?: string; checks?: unknown };
        if (answer.status !== 400 || parsed.checks !== undefined || !/^path /.test(parsed.error ?? '')) problems.push(`${path}: ${answer.status} ${answer.text.slice(0, 120)}`);
      }
      expect(problems).toEqual([]);
    });

    it('refuses traversal in an async infer too', async () => {
      const answer = await raw(
        suite.gatewayUrl,
        'POST',
        '/v2/models/%2e%2e/infer',
        { authorization: `Bearer ${token}`, prefer: 'respond-async', 'content-type': 'application/json' },
        Buffer.from(JSON.stringify(BODY)),
      );
      expect(answer.status).toBe(400);
    });

    it('still forwards the allowed prefixes', async () => {
      expect((await suite.call('GET', '/admin/models', token)).status).toBe(200);
      expect((await suite.call('GET', '/admin/models?limit=1', token)).status).toBe(200);
    });
  });

  describe('leaks', () => {
    it('answers a gRPC message that does not decode with INVALID_ARGUMENT', async () => {
      for (const message of [Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff]), Buffer.from([0x0f]), Buffer.from([0x2a, 0x02, 0x28, 0x05])]) {
        const answer = await rawGrpc(suite.grpcTarget, 'ModelInfer', message, token);
        expect(answer).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringMatching(/^the ModelInfer message does not decode/) });
      }
      // Fields of the right wire type but nonsense content are the decoder's to refuse, as 400s.
      const client = new OipGrpcClient(suite.grpcTarget, token);
      try {
        await expect(client.call('ModelInfer', { model_name: 'mlp', inputs: [{ name: 'input', datatype: 'FP32', shape: ['x'] }] })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
        await expect(client.call('ModelInfer', { model_name: 'mlp', inputs: [{ name: 'input', datatype: 'FP32', shape: ['1', '4'] }], raw_input_contents: [Buffer.alloc(3)] })).rejects.toMatchObject({
          code: grpc.status.INVALID_ARGUMENT,
        });
      } finally {
        client.close();
      }
    });

    it('maps a model that fails at run time to a safe 500, with the details in the gateway log under the request id', async () => {
      const failed = await suite.call('POST', '/v2/models/broken/infer', token, BODY, { 'x-request-id': 'edge-broken-1' });
      expect(failed.status).toBe(500);
      expect(failed.json).toEqual({ error: 'the model failed to run this request (request id edge-broken-1)', code: 'worker_error' });
      const log = await eventually(
        'the details in the gateway log',
        async () => {
          const line = suite
            .app('gateway')
            .logTail(500)
            .split('\n')
            .find((l) => l.includes('edge-broken-1') && l.includes('model execution failed'));
          return line;
        },
        10_000,
      );
      expect(log).toMatch(/Reshape|reshape/);
      // On gRPC too.
      const client = new OipGrpcClient(suite.grpcTarget, token);
      try {
        const error = await client.infer({ model: 'broken', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: Buffer.alloc(16) }] }).catch((e: grpc.ServiceError) => e);
        expect(error).toMatchObject({ code: grpc.status.INTERNAL, details: expect.stringMatching(/^the model failed to run this request \(request id [\w-]+\)$/) });
      } finally {
        client.close();
      }
      // The caller's own mistakes stay informative.
      const bad = await suite.call('POST', '/v2/models/mlp/infer', token, { inputs: [{ ...BODY.inputs[0], shape: [1, 5], data: [1, 2, 3, 4, 5] }] });
      expect(bad.status).toBe(400);
      expect(bad.json.error).toMatch(/shape \[1,5\] does not match/);
    });

    it.each(APPS)('%s: security headers on its answers', async (app) => {
      const base = suite.appUrl(app);
      const health = app === 'gateway' ? '/v2/health/live' : '/health/live';
      const guarded = app === 'gateway' ? '/v2/models/mlp' : app === 'registry' ? '/admin/models' : app === 'router' ? '/metrics' : '/health/status';
      for (const path of [health, guarded, '/no-such-route']) {
        const answer = await raw(base, 'GET', path);
        expect({ path, headers: answer.headers }).toMatchObject({
          path,
          headers: {
            'x-content-type-options': 'nosniff',
            'x-frame-options': 'DENY',
            'referrer-policy': 'no-referrer',
            'cache-control': 'no-store',
            'content-security-policy': expect.stringContaining("frame-ancestors 'none'"),
          },
        });
      }
    });

    it('gateway: security headers on inference, proxied and docs answers; the docs page runs only its own script', async () => {
      const inferred = await suite.call('POST', '/v2/models/mlp/infer', token, BODY);
      expect(inferred.status).toBe(200);
      const proxied = await suite.call('GET', '/admin/models', token);
      for (const answer of [inferred, proxied]) {
        expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
        expect(answer.headers.get('cache-control')).toBe('no-store');
        expect(answer.headers.get('content-security-policy')).toContain("default-src 'none'");
      }
      const docs = await raw(suite.gatewayUrl, 'GET', '/docs');
      const csp = String(docs.headers['content-security-policy']);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
      expect(csp).toContain("connect-src 'self'");
      const inline = /<script>([\s\S]*?)<\/script>/.exec(docs.text)?.[1] ?? '';
      const hash = createHash('sha256').update(inline).digest('base64');
      expect(csp).toContain(`'sha256-${hash}'`);
      const asset = await raw(suite.gatewayUrl, 'GET', '/docs/assets/swagger-ui-bundle.js');
      expect(asset.status).toBe(200);
      expect(asset.headers['x-content-type-options']).toBe('nosniff');
    });
  });

  // Last: it points the gateway at a recording stand-in for the registry, to see what it is sent.
  describe('headers through the registry proxy', () => {
    let recorder: Server;
    const seen: { method: string; url: string; headers: IncomingHttpHeaders }[] = [];

    beforeAll(async () => {
      recorder = createServer((request, response) => {
        seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers });
        request.resume();
        response.writeHead(200, {
          'content-type': 'application/json',
          'x-request-id': String(request.headers['x-request-id']),
          location: '/admin/models/x',
          'retry-after': '1',
          server: 'registry/1.2.3 (internal)',
          'x-powered-by': 'Express',
          'set-cookie': 'session=internal',
          'x-internal-database': 'postgres://registry@10.0.0.5/falaj',
          'proxy-authenticate': 'Basic',
          connection: 'keep-alive',
          'keep-alive': 'timeout=5',
        });
        response.end('{"models":[]}');
      });
      await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
      await suite.restartApp('gateway', { FALAJ_REGISTRY_URL: `http://127.0.0.1:${(recorder.address() as AddressInfo).port}` });
    }, 90_000);

    afterAll(async () => {
      await new Promise((resolve) => recorder.close(resolve));
    });

    it('sets X-Forwarded-* itself, forwards only allow-listed request headers, and passes back only allow-listed response headers', async () => {
      // The caller claims the scheme the gateway does not serve; the gateway says the one it does.
      const served = new URL(suite.gatewayUrl).protocol.replace(':', '');
      const answer = await raw(suite.gatewayUrl, 'GET', '/admin/models?limit=1', {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
        'x-request-id': 'edge-headers-1',
        'x-forwarded-for': '6.6.6.6',
        'x-forwarded-host': 'evil.example',
        'x-forwarded-proto': served === 'https' ? 'http' : 'https',
        forwarded: 'for=6.6.6.6;host=evil.example',
        'x-real-ip': '6.6.6.6',
        cookie: 'session=stolen',
        'x-falaj-tenant': 'someone-else',
        'proxy-authorization': 'Basic c2VjcmV0',
      });
      expect(answer.status).toBe(200);
      expect(seen).toHaveLength(1);
      const [{ url, headers }] = seen;
      expect(url).toBe('/admin/models?limit=1');
      expect(headers).toMatchObject({
        authorization: `Bearer ${token}`,
        accept: 'application/json',
        'x-request-id': 'edge-headers-1',
        'x-forwarded-for': '127.0.0.1',
        'x-forwarded-proto': served,
        'x-forwarded-host': new URL(suite.gatewayUrl).host,
      });
      for (const name of ['forwarded', 'x-real-ip', 'cookie', 'x-falaj-tenant', 'proxy-authorization']) expect(headers).not.toHaveProperty(name);
      expect(answer.headers).toMatchObject({ 'content-type': 'application/json', location: '/admin/models/x', 'retry-after': '1', 'x-request-id': 'edge-headers-1' });
      for (const name of ['server', 'x-powered-by', 'set-cookie', 'x-internal-database', 'proxy-authenticate']) expect(answer.headers).not.toHaveProperty(name);
      // Keep-Alive, where present, is the gateway's own connection's, not the registry's.
      expect(answer.headers['keep-alive']).not.toBe('timeout=5');
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
    });

    it('sends the recorder nothing for a traversal spelling', async () => {
      seen.length = 0;
      const answer = await raw(suite.gatewayUrl, 'GET', '/admin/%2e%2e/internal/artifacts/x', { authorization: `Bearer ${token}` });
      expect(answer.status).toBe(400);
      expect(seen).toEqual([]);
    });
  });
});
