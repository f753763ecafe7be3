import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type ConnectionOptions, type PeerCertificate } from 'node:tls';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import type { TensorPayload } from '@falaj/contracts';
import { FalajSuite, OipGrpcClient, encodeBinaryInferRequest, ensureCertificates, eventually, testTlsDir } from '@falaj/testing';

/**
 * Transport security, end to end: the five apps serve TLS from the tests' CA (FalajSuite's
 * default), and here the edges are checked as clients see them — curl over HTTP/2 by ALPN (gzip,
 * binary tensors, a multipart upload through the admin proxy), TLS 1.1 refused, gRPC over TLS with
 * the project's client, mTLS where it is required (the router's listener, then the gateway's gRPC),
 * a certificate swapped on disk served within seconds while 20 callers see no failure, and the
 * gateway refusing a registry whose certificate another CA issued.
 */
const exec = promisify(execFile);
const MODEL = join(__dirname, '..', '..', 'models', 'tiny-mlp.onnx');
const INPUT = { name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] };
/** The same input as a payload (the binary and gRPC encoders take bytes). */
const PAYLOAD: TensorPayload = { name: 'input', shape: [1, 4], datatype: 'FP32', data: Buffer.from(new Float32Array(INPUT.data).buffer) };
jest.setTimeout(240_000);

describe('transport security (e2e)', () => {
  const suite = new FalajSuite();
  const ca = testTlsDir();
  /** The gateway's certificate lives in a folder of its own, so this test can swap it. */
  const rotating = mkdtempSync(join(tmpdir(), 'falaj-tls-rotation-'));
  /** Another CA altogether, with a leaf that looks right in every other way. */
  const foreign = mkdtempSync(join(tmpdir(), 'falaj-tls-foreign-'));
  let token: string;
  let gatewayPort: number;

  const curl = async (args: string[]): Promise<string> => (await exec('curl', ['-sS', '--cacert', join(ca, 'ca.crt'), ...args], { maxBuffer: 16 * 1024 * 1024 })).stdout;
  /** The certificate the gateway serves to a new connection now. */
  const servedCertificate = (options: ConnectionOptions = {}): Promise<PeerCertificate> =>
    new Promise((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port: gatewayPort, ca: readFileSync(join(ca, 'ca.crt')), servername: 'localhost', ...options }, () => {
        resolve(socket.getPeerCertificate());
        socket.end();
      });
      socket.on('error', reject);
    });

  beforeAll(async () => {
    ensureCertificates(ca, ['gateway-rotated']);
    ensureCertificates(foreign, ['registry', 'e2e-client']);
    copyFileSync(join(ca, 'gateway.crt'), join(rotating, 'gateway.crt'));
    copyFileSync(join(ca, 'gateway.key'), join(rotating, 'gateway.key'));
    await suite.start({
      env: {
        gateway: { FALAJ_TLS_CERT_FILE: join(rotating, 'gateway.crt'), FALAJ_TLS_KEY_FILE: join(rotating, 'gateway.key'), FALAJ_TLS_POLL_INTERVAL_MS: '500' },
        router: { FALAJ_TLS_CLIENT_AUTH: 'require' },
      },
    });
    gatewayPort = Number(new URL(suite.gatewayUrl).port);
    const admin = await suite.platformAdminToken();
    await suite.call('POST', '/admin/tenants', admin, { id: 'acme', name: 'Acme', residency: 'ae' });
    token = await suite.token({ tenantId: 'acme', scopes: ['infer', 'models:read', 'models:write', 'deployments:write'] });
    await suite.call('POST', '/admin/models', token, { name: 'tiny-mlp' });
    await suite.call('POST', '/admin/models/tiny-mlp/versions', token, readFileSync(MODEL), { 'content-type': 'application/octet-stream' });
    await suite.call('POST', '/admin/models/tiny-mlp/versions/1/stage', token, { stage: 'production' });
    await eventually('model ready', async () => ((await suite.call('GET', '/v2/models/tiny-mlp/ready', token)).status === 200 ? true : undefined), 90_000);
  });

  afterAll(async () => {
    await suite.stop();
    rmSync(rotating, { recursive: true, force: true });
    rmSync(foreign, { recursive: true, force: true });
  });

  describe('HTTPS at the edge', () => {
    it('serves every app over HTTPS only, verified against the CA', async () => {
      for (const [app, path] of [
        ['gateway', '/v2/health/live'],
        ['registry', '/health/live'],
        ['cpu-worker', '/health/live'],
      ]) {
        expect(suite.appUrl(app)).toMatch(/^https:/);
        expect((await fetch(`${suite.appUrl(app)}${path}`)).status).toBe(200);
      }
      // Plain HTTP on a TLS port is not served.
      const plain = await fetch(suite.gatewayUrl.replace('https:', 'http:') + '/v2/health/live').then(
        (r) => r.status,
        (e: Error) => e.message,
      );
      expect(plain).not.toBe(200);
      // A client trusting only another CA refuses the gateway.
      await expect(exec('curl', ['-sS', '--cacert', join(foreign, 'ca.crt'), `${suite.gatewayUrl}/v2/health/live`])).rejects.toThrow(/certificate/i);
    });

    it('speaks HTTP/2 by ALPN and HTTP/1.1 beside it', async () => {
      expect(await curl(['--http2', '-o', '/dev/null', '-w', '%{http_version}', `${suite.gatewayUrl}/v2/health/ready`])).toBe('2');
      expect(await curl(['--http1.1', '-o', '/dev/null', '-w', '%{http_version}', `${suite.gatewayUrl}/v2/health/ready`])).toBe('1.1');
      const { stdout } = await exec('bash', ['-c', `openssl s_client -connect 127.0.0.1:${gatewayPort} -alpn h2 -CAfile '${join(ca, 'ca.crt')}' -verify_return_error </dev/null`]);
      expect(stdout).toMatch(/ALPN protocol: h2/);
      expect(stdout).toMatch(/Verify return code: 0 \(ok\)/);
    });

    it('refuses TLS 1.1 and offers only forward-secret AEAD suites on TLS 1.2', async () => {
      await expect(servedCertificate({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' })).rejects.toThrow(/protocol|version/i);
      await expect(servedCertificate({ maxVersion: 'TLSv1.2', ciphers: 'AES128-SHA256:AES256-SHA' })).rejects.toThrow(/handshake|cipher/i);
      const socket = await new Promise<ReturnType<typeof tlsConnect>>((resolve, reject) => {
        const s = tlsConnect({ host: '127.0.0.1', port: gatewayPort, ca: readFileSync(join(ca, 'ca.crt')), maxVersion: 'TLSv1.2' }, () => resolve(s));
        s.on('error', reject);
      });
      expect(socket.getProtocol()).toBe('TLSv1.2');
      expect(socket.getCipher().name).toMatch(/^ECDHE-(ECDSA|RSA)-(AES\d+-GCM|CHACHA20)/);
      socket.end();
    });

    it('carries gzip bodies, binary tensors and a multipart upload through the admin proxy over HTTP/2', async () => {
      const body = JSON.stringify({ inputs: [INPUT] });
      const gzipFile = join(rotating, 'body.json.gz');
      writeFileSync(gzipFile, gzipSync(body));
      const auth = ['-H', `Authorization: Bearer ${token}`];
      const gzipped = await curl([
        '--http2',
        ...auth,
        '-H',
        'Content-Type: application/json',
        '-H',
        'Content-Encoding: gzip',
        '--compressed',
        '--data-binary',
        `@${gzipFile}`,
        `${suite.gatewayUrl}/v2/models/tiny-mlp/infer`,
      ]);
      expect(JSON.parse(gzipped).outputs[0].data).toHaveLength(3);

      const binary = encodeBinaryInferRequest({ inputs: [PAYLOAD], outputs: [{ name: 'probabilities', binary: true }] });
      const binaryFile = join(rotating, 'req.bin');
      writeFileSync(binaryFile, binary.body);
      const headersOut = join(rotating, 'headers.txt');
      const answer = await exec(
        'curl',
        [
          '-sS',
          '--http2',
          '--cacert',
          join(ca, 'ca.crt'),
          ...auth,
          '-D',
          headersOut,
          '-H',
          'Content-Type: application/octet-stream',
          ...Object.entries(binary.headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]),
          '--data-binary',
          `@${binaryFile}`,
          `${suite.gatewayUrl}/v2/models/tiny-mlp/infer`,
        ],
        { encoding: 'buffer' },
      );
      const headers = readFileSync(headersOut, 'utf8');
      expect(headers).toMatch(/^HTTP\/2 200/);
      const headerLength = Number(/inference-header-content-length: (\d+)/i.exec(headers)![1]);
      expect(answer.stdout.length - headerLength).toBe(12);

      const uploaded = JSON.parse(await curl(['--http2', ...auth, '-F', 'lineage={"sourceRun":"h2"}', '-F', `file=@${MODEL}`, `${suite.gatewayUrl}/admin/models/tiny-mlp/versions`]));
      expect(uploaded).toMatchObject({ model: 'tiny-mlp', version: 2, lineage: { sourceRun: 'h2' } });
      // A streamed NDJSON answer through the proxy (the versions list is JSON; the batch results NDJSON).
      const rows = join(rotating, 'rows.ndjson');
      writeFileSync(rows, '[5.1,3.5,1.4,0.2]\n[6.2,2.9,4.3,1.3]\n');
      const job = JSON.parse(await curl(['--http2', ...auth, '-H', 'Content-Type: application/x-ndjson', '--data-binary', `@${rows}`, `${suite.gatewayUrl}/v2/batch/jobs?model=tiny-mlp`]));
      await eventually(
        'batch job done',
        async () => {
          const state = JSON.parse(await curl(['--http2', ...auth, `${suite.gatewayUrl}/v2/batch/jobs/${job.id}`]));
          return state.state === 'completed' ? state : undefined;
        },
        60_000,
      );
      const results = (await curl(['--http2', ...auth, `${suite.gatewayUrl}/v2/batch/jobs/${job.id}/results`])).trim().split('\n');
      expect(results).toHaveLength(2);
    });
  });

  describe('gRPC over TLS', () => {
    it('answers the project client over TLS trusting the CA, and refuses a plaintext one', async () => {
      const client = new OipGrpcClient(suite.grpcTarget, token);
      const answer = await client.infer({ model: 'tiny-mlp', inputs: [PAYLOAD] });
      expect(answer.outputs[0].shape).toEqual([1, 3]);
      client.close();
      const plain = OipGrpcClient.plaintext(suite.grpcAddress, token);
      await expect(plain.call('ServerLive')).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
      plain.close();
    });
  });

  describe('mTLS where it is required', () => {
    const routerCall = (options: { cert?: string; key?: string }) =>
      new Promise<number>((resolve, reject) => {
        const request = httpsRequest(
          `${suite.appUrl('router')}/health/live`,
          { ca: readFileSync(join(ca, 'ca.crt')), agent: false, ...(options.cert ? { cert: readFileSync(options.cert), key: readFileSync(options.key!) } : {}) },
          (response) => {
            response.resume();
            resolve(response.statusCode!);
          },
        );
        request.on('error', reject);
        request.end();
      });

    it("refuses a caller without a certificate, and one whose certificate another CA issued; accepts the CA's", async () => {
      await expect(routerCall({})).rejects.toThrow(/certificate|alert|socket hang up|ECONNRESET/i);
      await expect(routerCall({ cert: join(foreign, 'e2e-client.crt'), key: join(foreign, 'e2e-client.key') })).rejects.toThrow(/certificate|alert|socket hang up|ECONNRESET|unknown ca/i);
      await expect(routerCall({ cert: join(ca, 'e2e-client.crt'), key: join(ca, 'e2e-client.key') })).resolves.toBe(200);
    });

    it('in optional mode serves a caller without a certificate but refuses one from another CA', async () => {
      const call = (cert?: string, key?: string) =>
        new Promise<number>((resolve, reject) => {
          const request = httpsRequest(
            `${suite.gatewayUrl}/v2/health/live`,
            { ca: readFileSync(join(ca, 'ca.crt')), agent: false, ...(cert ? { cert: readFileSync(cert), key: readFileSync(key!) } : {}) },
            (response) => {
              response.resume();
              resolve(response.statusCode!);
            },
          );
          request.on('error', reject);
          request.end();
        });
      await expect(call()).resolves.toBe(200);
      await expect(call(join(ca, 'e2e-client.crt'), join(ca, 'e2e-client.key'))).resolves.toBe(200);
      await expect(call(join(foreign, 'e2e-client.crt'), join(foreign, 'e2e-client.key'))).rejects.toThrow(/socket hang up|ECONNRESET|closed|disconnected/i);
    });
  });

  describe('rotation', () => {
    it('serves a certificate swapped on disk within seconds while 20 callers see no failed request', async () => {
      const before = await servedCertificate();
      const rotated = new (await import('node:crypto')).X509Certificate(readFileSync(join(ca, 'gateway-rotated.crt')));
      expect(before.serialNumber).not.toBe(rotated.serialNumber);
      let stop = false;
      let ok = 0;
      const failures: string[] = [];
      // Half the callers open a new connection (a new handshake) per request, half keep theirs.
      const fresh = (): Promise<number> =>
        new Promise((resolve, reject) => {
          const request = httpsRequest(`${suite.gatewayUrl}/v2/health/ready`, { ca: readFileSync(join(ca, 'ca.crt')), agent: false }, (response) => {
            response.resume();
            response.on('end', () => resolve(response.statusCode!));
          });
          request.on('error', reject);
          request.end();
        });
      const caller = async (n: number) => {
        while (!stop) {
          try {
            const status = n % 2 === 0 ? await fresh() : await fetch(`${suite.gatewayUrl}/v2/health/ready`).then(async (r) => (await r.arrayBuffer(), r.status));
            if (status === 200) ok++;
            else failures.push(`HTTP ${status}`);
          } catch (error) {
            failures.push(String((error as Error & { cause?: Error }).cause ?? error));
          }
        }
      };
      const load = Promise.all(Array.from({ length: 20 }, (_, n) => caller(n)));
      await new Promise((r) => setTimeout(r, 1500));
      // As an operator (or cert-manager) rotates: the new files written beside, then renamed in.
      copyFileSync(join(ca, 'gateway-rotated.key'), join(rotating, 'gateway.key.new'));
      copyFileSync(join(ca, 'gateway-rotated.crt'), join(rotating, 'gateway.crt.new'));
      const swappedAt = Date.now();
      renameSync(join(rotating, 'gateway.key.new'), join(rotating, 'gateway.key'));
      renameSync(join(rotating, 'gateway.crt.new'), join(rotating, 'gateway.crt'));
      const served = await eventually(
        'the rotated certificate served',
        async () => ((await servedCertificate()).serialNumber === rotated.serialNumber ? Date.now() - swappedAt : undefined),
        10_000,
        100,
      );
      await new Promise((r) => setTimeout(r, 2000));
      stop = true;
      await load;
      process.stdout.write(`TLS rotation: the new certificate was served ${served} ms after the swap; ${ok} requests by 20 callers, ${failures.length} failed\n`);
      expect(failures).toEqual([]);
      expect(ok).toBeGreaterThan(40);
      expect(served).toBeLessThan(5000);
    });

    it('keeps serving the pair in service when the new files are not a valid pair', async () => {
      const current = (await servedCertificate()).serialNumber;
      writeFileSync(join(rotating, 'gateway.key.new'), readFileSync(join(ca, 'gateway.key')));
      renameSync(join(rotating, 'gateway.key.new'), join(rotating, 'gateway.key'));
      await eventually('the bad pair reported', async () => (/not a valid pair; still serving the previous one/.test(suite.app('gateway').logTail(200)) ? true : undefined), 10_000, 100);
      expect((await servedCertificate()).serialNumber).toBe(current);
      expect((await fetch(`${suite.gatewayUrl}/v2/health/ready`)).status).toBe(200);
    });
  });

  describe('inside', () => {
    let impostor: HttpsServer;
    let reached = 0;

    afterAll(() => impostor?.close());

    it('the gateway refuses a registry whose certificate another CA issued, and its gRPC listener requires a client certificate when told to', async () => {
      impostor = createHttpsServer({ cert: readFileSync(join(foreign, 'registry.crt')), key: readFileSync(join(foreign, 'registry.key')) }, (_request, response) => {
        reached++;
        response.end('{}');
      });
      await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
      const impostorUrl = `https://127.0.0.1:${(impostor.address() as AddressInfo).port}`;
      // The pair in service again (the test before left a mismatched key on disk).
      copyFileSync(join(ca, 'gateway-rotated.key'), join(rotating, 'gateway.key'));
      await suite.restartApp('gateway', { FALAJ_REGISTRY_URL: impostorUrl, FALAJ_GRPC_CLIENT_AUTH: 'require' });
      const proxied = await suite.call('GET', '/admin/models', token);
      expect(proxied).toMatchObject({ status: 502, json: { error: 'the registry is unreachable', code: 'registry_unreachable' } });
      expect(reached).toBe(0);

      const anonymous = new OipGrpcClient(suite.grpcTarget, token);
      await expect(anonymous.call('ServerLive')).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
      anonymous.close();
      const withForeign = new OipGrpcClient(
        {
          address: suite.grpcAddress,
          credentials: grpc.credentials.createSsl(readFileSync(join(ca, 'ca.crt')), readFileSync(join(foreign, 'e2e-client.key')), readFileSync(join(foreign, 'e2e-client.crt'))),
        },
        token,
      );
      await expect(withForeign.call('ServerLive')).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
      withForeign.close();
      const withOurs = new OipGrpcClient(
        { address: suite.grpcAddress, credentials: grpc.credentials.createSsl(readFileSync(join(ca, 'ca.crt')), readFileSync(join(ca, 'e2e-client.key')), readFileSync(join(ca, 'e2e-client.crt'))) },
        token,
      );
      await expect(withOurs.call('ServerLive')).resolves.toEqual({ live: true });
      withOurs.close();
    });
  });
});
