import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientCredentialsTokenSource } from '@falaj/auth';
import { eventually, freePort } from '@falaj/testing';
import { ArtifactCache } from './artifact-cache';
import { ModelHost } from './model-host';

/** Real HTTP and a real onnxruntime session: the registry comes up after the worker asked. */
const MODEL = join(__dirname, '../../../models/tiny-mlp.onnx');
const bytes = readFileSync(MODEL);
const sha256 = createHash('sha256').update(bytes).digest('hex');
const serving = {
  version: 1,
  signature: {
    inputs: [{ name: 'input', datatype: 'FP32' as const, shape: [-1, 4] }],
    outputs: [{ name: 'probabilities', datatype: 'FP32' as const, shape: [-1, 3] }],
  },
  artifact: { sha256, sizeBytes: bytes.length, downloadPath: `/internal/artifacts/${sha256}` },
};

describe('ModelHost loading from a registry that is not up yet', () => {
  const dir = mkdtempSync(join(tmpdir(), 'falaj-retry-'));
  let server: Server | undefined;
  let host: ModelHost;

  afterAll(async () => {
    await host?.close();
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('retries an unreachable registry with backoff and reports ready once it answers', async () => {
    const port = await freePort();
    const requests: string[] = [];
    const cache = new ArtifactCache(dir, `http://127.0.0.1:${port}`, async () => 'token');
    host = new ModelHost(cache, { executionProviders: ['cpu'], name: 'cpu', hardwareAvailable: true }, 1);
    await host.serve('acme', 'mlp', serving);
    expect(host.states()[0]).toMatchObject({ state: 'failed', reason: expect.stringContaining('registry unreachable') });

    server = createServer((request, response) => {
      requests.push(`${request.url} ${request.headers.authorization}`);
      response.end(bytes);
    }).listen(port, '127.0.0.1');
    await eventually('model ready after retry', async () => (host.states()[0]?.state === 'ready' ? true : undefined), 15_000);
    expect(requests).toEqual([`/internal/artifacts/${sha256} Bearer token`]);
  }, 20_000);

  it('retries when the service token cannot be had yet (the issuer is the registry, not listening), then loads', async () => {
    const port = await freePort();
    const requests: string[] = [];
    const tokens = new ClientCredentialsTokenSource({ tokenUrl: `http://127.0.0.1:${port}/oauth2/token`, clientId: 'e2e-cpu-worker', clientSecret: 's' });
    const early = new ModelHost(new ArtifactCache(join(dir, 'token'), `http://127.0.0.1:${port}`, () => tokens.get()), { executionProviders: ['cpu'], name: 'cpu', hardwareAvailable: true }, 1);
    try {
      await early.serve('acme', 'mlp', serving);
      expect(early.states()[0]).toMatchObject({ state: 'failed', reason: expect.stringContaining('no service token from the registry') });
      const registry = createServer((request, response) => {
        requests.push(`${request.method} ${request.url}`);
        if (request.url === '/oauth2/token') {
          response.setHeader('content-type', 'application/json');
          response.end(JSON.stringify({ access_token: 'late-token', expires_in: 300 }));
        } else response.end(bytes);
      }).listen(port, '127.0.0.1');
      try {
        await eventually('model ready once the issuer answers', async () => (early.states()[0]?.state === 'ready' ? true : undefined), 15_000);
      } finally {
        registry.close();
      }
      expect(requests).toEqual(['POST /oauth2/token', `GET /internal/artifacts/${sha256}`]);
    } finally {
      await early.close();
    }
  }, 20_000);

  it('does not retry a version the registry says it does not have', async () => {
    const port = await freePort();
    let asked = 0;
    const missing = createServer((_request, response) => {
      asked++;
      response.statusCode = 404;
      response.end();
    }).listen(port, '127.0.0.1');
    const other = new ModelHost(
      new ArtifactCache(join(dir, 'b'), `http://127.0.0.1:${port}`, async () => 't'),
      {
        executionProviders: ['cpu'],
        name: 'cpu',
        hardwareAvailable: true,
      },
      1,
    );
    await other.serve('acme', 'gone', { ...serving, artifact: { ...serving.artifact, sha256: 'f'.repeat(64) } });
    await new Promise((resolve) => setTimeout(resolve, 1500)); // longer than the first two backoffs
    expect(asked).toBe(1);
    expect(other.states()[0]).toMatchObject({ state: 'failed', reason: expect.stringContaining('answered 404') });
    missing.close();
  });
});
