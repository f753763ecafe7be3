import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SCOPES } from '@falaj/auth';
import { FalajSuite, repoRoot, tarGz, zip, type ArchiveEntry } from '@falaj/testing';

/**
 * MLflow imports (issue 19, item 2) against the built apps, through the gateway's admin proxy,
 * with real Postgres, Redis, Kafka and onnxruntime: an MLflow model directory made here around
 * models/tiny-mlp.onnx, packed as .tar.gz and .zip, imports with its signature and lineage; the
 * same directory served by a real HTTP server on an allow-listed origin imports from its URL,
 * while another origin, and a redirect to it, are refused without a request reaching it. Hostile
 * archives (zip-slip, a link), a declared signature that contradicts the file and an unknown
 * dtype are refused and leave no version; a tenant that requires signatures refuses an unsigned
 * import and takes a signed one, as an upload.
 */
jest.setTimeout(240_000);

const MODEL = readFileSync(join(__dirname, '..', 'models', 'tiny-mlp.onnx'));
const MODEL_SHA256 = createHash('sha256').update(MODEL).digest('hex');
const RUN_ID = '8f3e0c5d2b1a49e7b6c5d4e3f2a1b0c9';
const MODEL_UUID = '3f2a9c1b8d7e4f60a1b2c3d4e5f60718';
const TINY_MLP_SIGNATURE = {
  inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
  outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
};
const octet = { 'content-type': 'application/octet-stream' };
/** FALAJ_MAX_UPLOAD_BYTES of this run: the archive, and a model file fetched, past it are 413. */
const UPLOAD_LIMIT = 64 * 1024;
const TIMEOUT_MS = 3000;

/** An MLmodel as `mlflow.onnx.log_model` writes it; `inputs` replaceable for the refusals. */
const mlmodel = (inputs = '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}, "name": "input"}]') => `artifact_path: model
flavors:
  onnx:
    code: null
    data: model.onnx
    onnx_version: 1.16.0
  python_function:
    data: model.onnx
    env:
      conda: conda.yaml
    loader_module: mlflow.onnx
    python_version: 3.11.7
mlflow_version: 2.12.1
model_size_bytes: ${MODEL.length}
model_uuid: ${MODEL_UUID}
run_id: ${RUN_ID}
signature:
  inputs: '${inputs}'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}, "name": "probabilities"}]'
  params: null
utc_time_created: '2026-11-28 12:00:00.123456'
metadata:
  metrics:
    auc: 0.941
`;
const directory = (text = mlmodel()): ArchiveEntry[] => [
  { name: 'model/', type: 'dir' },
  { name: 'model/MLmodel', data: text },
  { name: 'model/model.onnx', data: MODEL },
  { name: 'model/metrics.json', data: '{"f1": 0.88}' },
  { name: 'model/conda.yaml', data: 'name: mlflow-env\ndependencies:\n- python=3.11.7\n' },
];

/** A static file server of one MLflow directory under /mlflow/scorer/1/, with redirects; every path it is asked for is kept. */
function storeServer(routes: (path: string) => { status: number; body?: Buffer | string; location?: string } | undefined) {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    const path = request.url ?? '/';
    requests.push(path);
    const route = routes(path) ?? { status: 404, body: 'not found' };
    if (route.status === 0) return; // never answers: the import's time limit ends it
    response.writeHead(route.status, route.location ? { location: route.location } : {});
    response.end(route.body);
  });
  return { server, requests };
}

const listen = (server: Server) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

describe('MLflow import (e2e)', () => {
  const suite = new FalajSuite();
  const files = new Map<string, Buffer | string>([
    ['MLmodel', mlmodel()],
    ['model.onnx', MODEL],
    ['metrics.json', '{"f1": 0.88}'],
  ]);
  let offListPort = 0;
  const allowed = storeServer((path) => {
    const file = /^\/mlflow\/scorer\/1\/(.+)$/.exec(path);
    if (file && files.has(file[1])) return { status: 200, body: files.get(file[1]) };
    const within = /^\/moved\/(.+)$/.exec(path);
    if (within) return { status: 302, location: `/mlflow/scorer/1/${within[1]}` };
    if (path === '/huge/MLmodel') return { status: 200, body: `${mlmodel()}# ${'x'.repeat(300 * 1024)}\n` };
    const big = /^\/big\/(.+)$/.exec(path);
    if (big) return big[1] === 'model.onnx' ? { status: 200, body: randomBytes(UPLOAD_LIMIT + 1) } : files.has(big[1]) ? { status: 200, body: files.get(big[1]) } : undefined;
    if (path === '/slow/MLmodel') return { status: 0 };
    if (path.startsWith('/tracking/')) return trackingServer(path);
    // As S3 answers a reader that may not list the bucket: 403 for a key that is not there.
    const privateFile = /^\/private\/(.+)$/.exec(path);
    if (privateFile) return privateFile[1] === 'metrics.json' || !files.has(privateFile[1]) ? { status: 403, body: 'AccessDenied' } : { status: 200, body: files.get(privateFile[1]) };
    const broken = /^\/broken\/(.+)$/.exec(path);
    if (broken) return broken[1] === 'MLmodel' ? { status: 200, body: files.get('MLmodel') } : broken[1] === 'model.onnx' ? { status: 500, body: 'InternalError' } : undefined;
    const off = /^\/away\/(.+)$/.exec(path);
    if (off) return { status: 302, location: `http://127.0.0.1:${offListPort}/mlflow/scorer/1/${off[1]}` };
    return undefined;
  });
  const offList = storeServer((path) => {
    const file = /^\/mlflow\/scorer\/1\/(.+)$/.exec(path);
    return file && files.has(file[1]) ? { status: 200, body: files.get(file[1]) } : undefined;
  });
  /** The registered model 'fraud' of an MLflow-compatible tracking server: the version its alias 'champion' points to, each version its own run. */
  let championVersion = 1;
  const runOf = (version: number) => (version === 1 ? RUN_ID : `${RUN_ID.slice(0, -1)}${version}`);
  const json = (body: unknown) => ({ status: 200, body: JSON.stringify(body) });
  const notFound = { status: 404, body: JSON.stringify({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'not found' }) };
  function trackingServer(path: string): { status: number; body?: string | Buffer } {
    const url = new URL(path, 'http://tracking');
    const q = url.searchParams;
    if (url.pathname === '/tracking/api/2.0/mlflow/registered-models/alias') {
      if (q.get('name') !== 'fraud') return notFound;
      const version = q.get('alias') === 'champion' ? championVersion : q.get('alias') === 'legacy' ? 9 : null;
      return version === null ? notFound : json({ model_version: { name: 'fraud', version: String(version), run_id: runOf(version), aliases: [q.get('alias')], status: 'READY' } });
    }
    if (url.pathname === '/tracking/api/2.0/mlflow/model-versions/get-download-uri') {
      const version = Number(q.get('version'));
      return json({ artifact_uri: version === 9 ? 's3://mlflow-artifacts/9/model' : `mlflow-artifacts:/1/${runOf(version)}/artifacts/model` });
    }
    const artifact = /^\/tracking\/api\/2\.0\/mlflow-artifacts\/artifacts\/1\/([0-9a-f]+)\/artifacts\/model\/(.+)$/.exec(url.pathname);
    if (artifact && files.has(artifact[2])) return { status: 200, body: artifact[2] === 'MLmodel' ? mlmodel().replace(RUN_ID, artifact[1]) : files.get(artifact[2]) };
    return notFound;
  }
  let allowedOrigin = '';
  let token: string;
  let admin: string;

  const importArchive = (body: Buffer, headers: Record<string, string> = {}, model = 'scorer', bearer = token) =>
    suite.call('POST', `/admin/models/${model}/imports/mlflow`, bearer, body, { ...octet, ...headers });
  const importUrl = (url: string, headers: Record<string, string> = {}, model = 'scorer', bearer = token) => suite.call('POST', `/admin/models/${model}/imports/mlflow/url`, bearer, { url }, headers);
  const versionCount = async () => (await suite.call('GET', '/admin/models/scorer/versions', token)).json.versions.length as number;

  beforeAll(async () => {
    const allowedPort = await listen(allowed.server);
    offListPort = await listen(offList.server);
    allowedOrigin = `http://127.0.0.1:${allowedPort}`;
    await suite.start({ env: { registry: { FALAJ_IMPORT_ALLOWED_ORIGINS: allowedOrigin, FALAJ_IMPORT_TIMEOUT_MS: String(TIMEOUT_MS), FALAJ_MAX_UPLOAD_BYTES: String(UPLOAD_LIMIT) } } });
    admin = await suite.platformAdminToken();
    expect((await suite.call('POST', '/admin/tenants', admin, { id: 'mlf', name: 'MLflow imports', residency: 'ae' })).status).toBe(201);
    token = await suite.token({ tenantId: 'mlf', subject: 'importer', scopes: [SCOPES.modelsRead, SCOPES.modelsWrite] });
    expect((await suite.call('POST', '/admin/models', token, { name: 'scorer' })).status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await suite.stop();
    for (const { server } of [allowed, offList]) {
      server.closeAllConnections();
      server.close();
    }
  }, 60_000);

  describe('from an archive', () => {
    it('imports an MLflow directory packed as .tar.gz with its signature and lineage, shown in the version view', async () => {
      const archive = tarGz(directory());
      const imported = await importArchive(archive);
      expect(imported.status).toBe(201);
      expect(imported.json).toMatchObject({ model: 'scorer', version: 1, stage: 'draft', sha256: MODEL_SHA256, sizeBytes: MODEL.length, signature: TINY_MLP_SIGNATURE });
      const lineage = {
        source: 'mlflow',
        sourceRun: `mlflow:runs/${RUN_ID}`,
        runId: RUN_ID,
        modelUuid: MODEL_UUID,
        mlflowCreatedAt: '2026-11-28T12:00:00.123Z',
        mlflowVersion: '2.12.1',
        artifactPath: 'model',
        flavor: 'onnx',
        modelFile: 'model.onnx',
        metrics: { auc: 0.941, f1: 0.88 },
        declaredSignature: {
          inputs: { kind: 'tensor', specs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }] },
          outputs: { kind: 'tensor', specs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }] },
        },
        archive: { format: 'tar.gz', sha256: createHash('sha256').update(archive).digest('hex'), sizeBytes: archive.length },
      };
      expect(imported.json.lineage).toEqual(lineage);
      const view = await suite.call('GET', '/admin/models/scorer/versions/1', token);
      expect(view.json).toMatchObject({ version: 1, signature: TINY_MLP_SIGNATURE, lineage });
      // Recorded as an upload is: its registration in the stage history, its bytes downloadable.
      const transitions = await suite.call('GET', '/admin/models/scorer/transitions?version=1', token);
      expect(transitions.json.transitions).toMatchObject([{ version: 1, from: null, to: 'draft', reason: 'registered' }]);
      const artifact = await fetch(`${suite.gatewayUrl}/admin/models/scorer/versions/1/artifact`, { headers: { authorization: `Bearer ${token}` } });
      expect(Buffer.from(await artifact.arrayBuffer())).toEqual(MODEL);
    });

    it('imports the same directory as a .zip, with MLmodel at the archive root', async () => {
      const archive = zip(
        directory()
          .filter((e) => e.type !== 'dir')
          .map((e) => ({ ...e, name: e.name.replace(/^model\//, '') })),
      );
      const imported = await importArchive(archive);
      expect(imported.status).toBe(201);
      expect(imported.json).toMatchObject({ version: 2, signature: TINY_MLP_SIGNATURE, lineage: { source: 'mlflow', runId: RUN_ID, archive: { format: 'zip' } } });
    });

    it('refuses a zip-slip entry and a link (400), leaving no version', async () => {
      const before = await versionCount();
      const slip = await importArchive(tarGz([...directory(), { name: 'model/../../../../tmp/falaj-zip-slip', data: 'pwned' }]));
      expect(slip.status).toBe(400);
      expect(slip.json.error).toBe("invalid archive: entry 'model/../../../../tmp/falaj-zip-slip': the path leaves the model directory ('..')");
      const zipSlip = await importArchive(zip([{ name: '../MLmodel', data: mlmodel() }]));
      expect(zipSlip.status).toBe(400);
      const link = await importArchive(
        zip([
          { name: 'MLmodel', data: mlmodel() },
          { name: 'model.onnx', type: 'symlink', target: '/etc/passwd' },
        ]),
      );
      expect(link.status).toBe(400);
      expect(link.json.error).toContain("entry 'model.onnx' is a link");
      expect(existsSync('/tmp/falaj-zip-slip')).toBe(false);
      expect(await versionCount()).toBe(before);
      // Nothing of a refused import is left in the registry's working folder.
      expect(readdirSync(join(suite.workDir, 'artifacts', 'imports'))).toEqual([]);
    });

    it('refuses an MLmodel whose signature contradicts the file, an unknown dtype, a model file outside the folder, and what is not an archive', async () => {
      const before = await versionCount();
      const contradicts = await importArchive(tarGz(directory(mlmodel('[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 4]}, "name": "input"}]'))));
      expect(contradicts.status).toBe(400);
      expect(contradicts.json.error).toBe("the MLmodel signature does not match the ONNX model: input 'input' is FP32, declared FP64");
      const unknown = await importArchive(tarGz(directory(mlmodel('[{"type": "tensor", "tensor-spec": {"dtype": "complex128", "shape": [-1, 4]}}]'))));
      expect(unknown.status).toBe(400);
      expect(unknown.json.error).toMatch(/^invalid MLflow model: signature\.inputs\[0\]\.tensor-spec\.dtype: unknown dtype 'complex128'/);
      const outside = await importArchive(tarGz(directory(mlmodel().replace(/data: model\.onnx/g, 'data: ../../../etc/passwd'))));
      expect(outside.status).toBe(400);
      expect(outside.json.error).toContain("flavors.onnx.data: '../../../etc/passwd': the path leaves the model directory");
      expect((await importArchive(MODEL)).json.error).toBe('invalid archive: not a .tar.gz, .tar or .zip archive');
      expect((await importArchive(tarGz([{ name: 'MLmodel', data: mlmodel() }]))).json.error).toBe("invalid MLflow model: 'model.onnx' is not in the model directory");
      expect(await versionCount()).toBe(before);
    });

    it('refuses an archive past the upload limit (413)', async () => {
      const before = await versionCount();
      const over = await importArchive(tarGz([...directory(), { name: 'model/padding.bin', data: randomBytes(UPLOAD_LIMIT) }]));
      expect(over.status).toBe(413);
      expect(over.json.error).toBe(`archive refused: the archive exceeds the limit of ${UPLOAD_LIMIT}`);
      expect(await versionCount()).toBe(before);
    });

    it('answers 404 for an unknown model and 403 without models:write', async () => {
      expect((await importArchive(tarGz(directory()), {}, 'nope')).status).toBe(404);
      const reader = await suite.token({ tenantId: 'mlf', subject: 'reader', scopes: [SCOPES.modelsRead] });
      expect((await importArchive(tarGz(directory()), {}, 'scorer', reader)).status).toBe(403);
    });
  });

  describe('from an allow-listed URL', () => {
    it('imports the directory a store serves, its URL as lineage', async () => {
      const before = allowed.requests.length;
      const imported = await importUrl(`${allowedOrigin}/mlflow/scorer/1`);
      expect(imported.status).toBe(201);
      expect(imported.json).toMatchObject({ sha256: MODEL_SHA256, signature: TINY_MLP_SIGNATURE });
      expect(imported.json.lineage).toMatchObject({ source: 'mlflow', runId: RUN_ID, modelUuid: MODEL_UUID, metrics: { auc: 0.941, f1: 0.88 }, sourceUrl: `${allowedOrigin}/mlflow/scorer/1/` });
      expect(imported.json.lineage.archive).toBeUndefined();
      expect(allowed.requests.slice(before)).toEqual(['/mlflow/scorer/1/MLmodel', '/mlflow/scorer/1/metrics.json', '/mlflow/scorer/1/model.onnx']);
      const view = await suite.call('GET', `/admin/models/scorer/versions/${imported.json.version}`, token);
      expect(view.json.lineage.sourceUrl).toBe(`${allowedOrigin}/mlflow/scorer/1/`);
    });

    it('takes a 403 for the optional metrics.json as none, and answers 502 for a store that fails on the model file', async () => {
      const imported = await importUrl(`${allowedOrigin}/private/`);
      expect(imported.status).toBe(201);
      expect(imported.json.lineage.metrics).toEqual({ auc: 0.941 });
      const before = await versionCount();
      const broken = await importUrl(`${allowedOrigin}/broken/`);
      expect(broken.status).toBe(502);
      expect(broken.json.error).toBe(`the store answered 500 for ${allowedOrigin}/broken/model.onnx`);
      expect(await versionCount()).toBe(before);
    });

    it('follows a redirect within the allow-list', async () => {
      const imported = await importUrl(`${allowedOrigin}/moved/`);
      expect(imported.status).toBe(201);
      expect(imported.json.lineage.sourceUrl).toBe(`${allowedOrigin}/moved/`);
    });

    it('refuses an origin off the allow-list and a redirect to one (403), and no request reaches it', async () => {
      const before = await versionCount();
      const off = await importUrl(`http://127.0.0.1:${offListPort}/mlflow/scorer/1/`);
      expect(off.status).toBe(403);
      expect(off.json.error).toBe(`origin http://127.0.0.1:${offListPort} is not on the platform's import allow-list (FALAJ_IMPORT_ALLOWED_ORIGINS)`);
      const redirected = await importUrl(`${allowedOrigin}/away/`);
      expect(redirected.status).toBe(403);
      expect(redirected.json.error).toContain(`origin http://127.0.0.1:${offListPort} is not on the platform's import allow-list`);
      expect(allowed.requests).toContain('/away/MLmodel');
      expect(offList.requests).toEqual([]);
      expect((await importUrl('file:///etc/passwd')).status).toBe(400);
      expect((await importUrl(`${allowedOrigin}/mlflow/scorer/1/?X-Amz-Signature=abc`)).status).toBe(400);
      const missing = await importUrl(`${allowedOrigin}/nothing-here/`);
      expect(missing.status).toBe(400);
      expect(missing.json.error).toBe("invalid MLflow model: 'MLmodel' is not in the model directory");
      expect(await versionCount()).toBe(before);
    });

    it('refuses an MLmodel past its size limit, a model file past the upload limit, and a store that does not answer in time', async () => {
      const before = await versionCount();
      const huge = await importUrl(`${allowedOrigin}/huge/`);
      expect(huge.status).toBe(400);
      expect(huge.json.error).toBe('invalid MLflow model: MLmodel: larger than 262144 bytes');
      const big = await importUrl(`${allowedOrigin}/big/`);
      expect(big.status).toBe(413);
      expect(big.json.error).toContain(`exceeds the upload limit of ${UPLOAD_LIMIT} bytes`);
      const started = Date.now();
      const slow = await importUrl(`${allowedOrigin}/slow/`);
      expect(slow.status).toBe(504);
      expect(slow.json.error).toBe(`fetching ${allowedOrigin}/slow/MLmodel did not finish within the import's time limit (FALAJ_IMPORT_TIMEOUT_MS)`);
      expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
      expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 5000);
      expect(await versionCount()).toBe(before);
    });
  });

  it('documents both endpoints in the admin OpenAPI document', async () => {
    const doc = await suite.call('GET', '/admin/openapi.json', token);
    expect(doc.json.paths['/admin/models/{name}/imports/mlflow'].post).toMatchObject({ summary: expect.stringContaining('MLflow'), responses: { '201': expect.anything() } });
    expect(doc.json.paths['/admin/models/{name}/imports/mlflow/url'].post.requestBody.content['application/json'].schema.required).toEqual(['url']);
  });

  describe("from an MLflow registry's alias", () => {
    const importAlias = (alias: string, trackingUrl = `${allowedOrigin}/tracking`) => suite.call('POST', '/admin/models/scorer/imports/mlflow/alias', token, { trackingUrl, name: 'fraud', alias });

    it('imports the version the alias points to, once; and the next one when the alias moves', async () => {
      const first = await importAlias('champion');
      expect(first.status).toBe(201);
      expect(first.json).toMatchObject({ sha256: MODEL_SHA256, signature: TINY_MLP_SIGNATURE });
      expect(first.json.lineage).toMatchObject({
        source: 'mlflow',
        runId: RUN_ID,
        mlflowRegistry: { trackingUrl: `${allowedOrigin}/tracking/`, name: 'fraud', alias: 'champion', version: '1' },
        sourceUrl: `${allowedOrigin}/tracking/api/2.0/mlflow-artifacts/artifacts/1/${RUN_ID}/artifacts/model/`,
      });
      const count = await versionCount();
      const again = await importAlias('champion');
      expect(again.status).toBe(200);
      expect(again.json.version).toBe(first.json.version);
      expect(await versionCount()).toBe(count);

      championVersion = 2;
      const moved = await importAlias('champion');
      expect(moved.status).toBe(201);
      expect(moved.json.version).toBe(first.json.version + 1);
      expect(moved.json.lineage).toMatchObject({ runId: runOf(2), sourceRun: `mlflow:runs/${runOf(2)}`, mlflowRegistry: { version: '2' } });
      const view = await suite.call('GET', `/admin/models/scorer/versions/${moved.json.version}`, token);
      expect(view.json.lineage.mlflowRegistry).toEqual({ trackingUrl: `${allowedOrigin}/tracking/`, name: 'fraud', alias: 'champion', version: '2' });
    });

    it('answers 404 for an alias the registry does not have, 400 for an artifact URI it cannot fetch, 403 for a registry off the allow-list', async () => {
      const before = await versionCount();
      const missing = await importAlias('nope');
      expect(missing.status).toBe(404);
      expect(missing.json.error).toBe(`the MLflow registry at ${allowedOrigin} has no alias 'nope' of registered model 'fraud'`);
      const s3 = await importAlias('legacy');
      expect(s3.status).toBe(400);
      expect(s3.json.error).toContain("artifact URI scheme of 's3://mlflow-artifacts/9/model' is not supported");
      expect((await importAlias('champion', `http://127.0.0.1:${offListPort}/tracking`)).status).toBe(403);
      expect(offList.requests).toEqual([]);
      expect(await versionCount()).toBe(before);
    });
  });

  describe('falaj models import', () => {
    const work = mkdtempSync(join(tmpdir(), 'falaj-mlflow-cli-'));
    afterAll(() => rmSync(work, { recursive: true, force: true }));
    /** The built CLI with a bare environment, signed in under `work`. */
    const falaj = (args: string[], env: NodeJS.ProcessEnv = {}) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, [join(repoRoot(), 'dist', 'apps', 'cli', 'src', 'main.js'), ...args], {
          cwd: work,
          env: { PATH: process.env.PATH, HOME: work, FALAJ_CONFIG_DIR: join(work, 'config'), ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });

    it('imports an archive (creating the model) and a URL, and exits non-zero with the refusal for a hostile archive', async () => {
      const client = await suite.createClient('mlf', [SCOPES.modelsRead, SCOPES.modelsWrite], 'mlflow-cli');
      const login = await falaj(['login', '--gateway', suite.gatewayUrl, '--cacert', suite.caFile, '--issuer', suite.registryUrl, '--client-id', client.clientId, '--json'], {
        FALAJ_CLIENT_SECRET: client.clientSecret,
      });
      expect(login.code).toBe(0);
      writeFileSync(join(work, 'scorer.tgz'), tarGz(directory()));
      const archived = await falaj(['models', 'import', 'scorer.tgz', '--model', 'cli-scorer', '--json']);
      expect(archived.code).toBe(0);
      expect(JSON.parse(archived.stdout)).toMatchObject({
        modelCreated: true,
        model: 'cli-scorer',
        version: 1,
        signature: TINY_MLP_SIGNATURE,
        lineage: { source: 'mlflow', runId: RUN_ID, archive: { format: 'tar.gz' } },
      });
      const fetched = await falaj(['models', 'import', `${allowedOrigin}/mlflow/scorer/1/`, '--model', 'cli-scorer', '--json']);
      expect(fetched.code).toBe(0);
      expect(JSON.parse(fetched.stdout)).toMatchObject({ modelCreated: false, version: 2, lineage: { sourceUrl: `${allowedOrigin}/mlflow/scorer/1/` } });
      writeFileSync(join(work, 'slip.zip'), zip([{ name: '../MLmodel', data: mlmodel() }]));
      const refused = await falaj(['models', 'import', 'slip.zip', '--model', 'cli-scorer']);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain("invalid archive: entry '../MLmodel': the path leaves the model directory");
    });
  });

  describe('signed artifacts', () => {
    it("refuses an unsigned import for a tenant that requires signatures (422), and takes one signed over the model file's bytes", async () => {
      expect((await suite.call('POST', '/admin/tenants', admin, { id: 'mlfsigned', name: 'Signed imports', residency: 'ae' })).status).toBe(201);
      const key = generateKeyPairSync('ed25519');
      const added = await suite.call('POST', '/admin/tenants/mlfsigned/trusted-keys', admin, { publicKey: key.publicKey.export({ type: 'spki', format: 'pem' }).toString() });
      expect(added.status).toBe(201);
      expect((await suite.call('PUT', '/admin/tenants/mlfsigned/signing-policy', admin, { requireSignatures: true })).status).toBe(200);
      const signer = await suite.token({ tenantId: 'mlfsigned', subject: 'signer', scopes: [SCOPES.modelsRead, SCOPES.modelsWrite] });
      expect((await suite.call('POST', '/admin/models', signer, { name: 'scorer' })).status).toBe(201);

      const unsigned = await importArchive(tarGz(directory()), {}, 'scorer', signer);
      expect(unsigned.status).toBe(422);
      expect(unsigned.json.error).toContain("tenant 'mlfsigned' requires signed artifacts");
      expect((await importUrl(`${allowedOrigin}/mlflow/scorer/1/`, {}, 'scorer', signer)).status).toBe(422);
      const overOther = `${added.json.keyId}:${sign(null, Buffer.from('other bytes'), key.privateKey).toString('base64')}`;
      expect((await importArchive(tarGz(directory()), { 'x-falaj-signature': overOther }, 'scorer', signer)).status).toBe(422);

      const signature = `${added.json.keyId}:${sign(null, MODEL, key.privateKey).toString('base64')}`;
      const signed = await importArchive(tarGz(directory()), { 'x-falaj-signature': signature }, 'scorer', signer);
      expect(signed.status).toBe(201);
      expect(signed.json).toMatchObject({ version: 1, lineage: { source: 'mlflow', runId: RUN_ID } });
      expect((await importUrl(`${allowedOrigin}/mlflow/scorer/1/`, { 'x-falaj-signature': signature }, 'scorer', signer)).status).toBe(201);
      const audit = await suite.call('GET', '/admin/tenants/mlfsigned/signing-audit', admin);
      expect(audit.json.events.filter((e: { action: string }) => e.action === 'upload.refused').map((e: { code: string }) => e.code)).toEqual([
        'signature_invalid',
        'signature_required',
        'signature_required',
      ]);
    });
  });
});
