import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FalajSuite, eventually, repoRoot, type SuiteClient } from '@falaj/testing';

/**
 * The `falaj` CLI as a user runs it: the built `dist/apps/cli/src/main.js` as a child process
 * against the five built apps over TLS (the tests' CA given with --cacert, never through the
 * test process's own trust), judged only by its exit codes and its --json output.
 */
const CLI = join(repoRoot(), 'dist', 'apps', 'cli', 'src', 'main.js');
const MODEL_FILE = join(repoRoot(), 'models', 'tiny-mlp.onnx');
const ROW = [5.1, 3.5, 1.4, 0.2];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- the CLI's JSON answers, read field by field
}

/** A NumPy .npy file (format 1.0), written the way np.save writes it: header padded to 64 bytes. */
function npy(descr: string, shape: number[], data: Buffer): Buffer {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const padded = dict.padEnd(Math.ceil((10 + dict.length + 1) / 64) * 64 - 10 - 1, ' ') + '\n';
  const header = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(header);
  header.writeUInt16LE(padded.length, 8);
  return Buffer.concat([header, Buffer.from(padded, 'latin1'), data]);
}

describe('falaj CLI (e2e)', () => {
  const suite = new FalajSuite();
  const work = mkdtempSync(join(tmpdir(), 'falaj-cli-'));
  const acmeDir = join(work, 'acme');
  const betaDir = join(work, 'beta');
  let acme: SuiteClient;
  let beta: SuiteClient;
  const secrets: string[] = [];

  /** The CLI with a bare environment: no NODE_EXTRA_CA_CERTS, nothing of the test process's trust. */
  const falaj = (args: string[], options: { configDir?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], {
        cwd: work,
        env: { PATH: process.env.PATH, HOME: work, FALAJ_CONFIG_DIR: options.configDir ?? acmeDir, ...options.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => {
        let json: unknown;
        try {
          json = JSON.parse(stdout);
        } catch {
          json = undefined;
        }
        resolve({ code, stdout, stderr, json });
      });
    });
  const login = (client: SuiteClient, configDir: string, extra: string[] = []) =>
    falaj(['login', '--gateway', suite.gatewayUrl, '--cacert', suite.caFile, '--issuer', suite.registryUrl, '--client-id', client.clientId, '--json', ...extra], {
      configDir,
      env: { FALAJ_CLIENT_SECRET: client.clientSecret },
    });
  const ok = (run: Run): Run => {
    if (run.code !== 0) throw new Error(`falaj exited ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
    return run;
  };

  beforeAll(async () => {
    await suite.start();
    const admin = await suite.platformAdminToken();
    for (const id of ['acme', 'beta']) expect((await suite.call('POST', '/admin/tenants', admin, { id, name: id, residency: 'ae' })).status).toBe(201);
    acme = await suite.createClient('acme', ['infer', 'models:read', 'models:write', 'deployments:write', 'audit:read'], 'acme-cli');
    beta = await suite.createClient('beta', ['infer', 'models:read', 'models:write'], 'beta-cli');
    secrets.push(acme.clientSecret, beta.clientSecret);
    writeFileSync(join(work, 'request.json'), JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: ROW }] }));
    writeFileSync(join(work, 'input.npy'), npy('<f4', [1, 4], Buffer.from(new Float32Array(ROW).buffer)));
    writeFileSync(join(work, 'rows.ndjson'), Array.from({ length: 40 }, (_, i) => JSON.stringify([i / 10, 1, 2, 3])).join('\n') + '\n');
    // Two tries of the apps' start (FalajSuite retries once) on a 2-core machine other suites may share.
  }, 240_000);

  afterAll(async () => {
    await suite.stop();
  }, 60_000);

  it('signs in by client credentials, keeps the credential at mode 600 and prints no secret', async () => {
    const noCa = await falaj(['login', '--gateway', suite.gatewayUrl, '--issuer', suite.registryUrl, '--client-id', acme.clientId], {
      configDir: join(work, 'no-ca'),
      env: { FALAJ_CLIENT_SECRET: acme.clientSecret },
    });
    expect(noCa.code).toBe(5);
    expect(noCa.stderr).toContain('--cacert');
    const wrong = await falaj(['login', '--gateway', suite.gatewayUrl, '--cacert', suite.caFile, '--issuer', suite.registryUrl, '--client-id', acme.clientId], {
      configDir: join(work, 'wrong'),
      env: { FALAJ_CLIENT_SECRET: 'not-the-secret' },
    });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('invalid_client');
    expect((await falaj(['models', 'list'], { configDir: join(work, 'nobody') })).code).toBe(2);

    const signedIn = ok(await login(acme, acmeDir));
    expect(signedIn.json).toMatchObject({ tenant: 'acme', clientId: acme.clientId, grantTypes: ['client_credentials', 'authorization_code'] });
    expect(signedIn.json.scopes).toEqual(expect.arrayContaining(['models:write', 'audit:read']));
    expect(statSync(join(acmeDir, 'credentials.json')).mode & 0o777).toBe(0o600);
    expect(statSync(acmeDir).mode & 0o777).toBe(0o700);
    ok(await login(beta, betaDir));
    for (const run of [noCa, wrong, signedIn]) for (const secret of secrets) expect(run.stdout + run.stderr).not.toContain(secret);
    expect(signedIn.stdout).not.toMatch(/ey[A-Za-z0-9_-]{20,}\./);
  }, 30_000);

  it('pushes the model (created on the first push), promotes it and infers from JSON and .npy', async () => {
    const first = ok(await falaj(['models', 'push', MODEL_FILE, '--model', 'scorer', '--json']));
    expect(first.json).toMatchObject({ modelCreated: true, model: 'scorer', version: 1, stage: 'draft' });
    const second = ok(await falaj(['models', 'push', MODEL_FILE, '--model', 'scorer', '--json']));
    expect(second.json).toMatchObject({ modelCreated: false, version: 2, sha256: first.json.sha256 });
    expect(ok(await falaj(['versions', 'promote', 'scorer', '1', '--json'])).json).toMatchObject({ version: 1, stage: 'production' });
    expect((await falaj(['versions', 'promote', 'scorer', '9'])).code).toBe(3);

    const fromJson = await eventually(
      'scorer v1 serving',
      async () => {
        const run = await falaj(['--json', 'infer', 'scorer', '--json', 'request.json']);
        return run.code === 0 ? run : undefined;
      },
      60_000,
      500,
    );
    expect(fromJson.json).toMatchObject({ model_name: 'scorer', model_version: '1', outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [1, 3] }] });
    // The .npy path goes as Triton binary tensor data; the same input must give the same answer.
    const fromNpy = ok(await falaj(['--json', 'infer', 'scorer', '--npy', 'input.npy'], { env: { FALAJ_CA_FILE: suite.caFile } }));
    expect(fromNpy.json.outputs[0].data).toEqual(fromJson.json.outputs[0].data);
    const human = ok(await falaj(['infer', 'scorer', '--npy', 'input=input.npy']));
    expect(human.stdout).toContain('probabilities');
    expect((await falaj(['infer', 'scorer'])).code).toBe(1);
    writeFileSync(join(work, 'bad.npy'), npy('<f4', [1, 5], Buffer.from(new Float32Array(5).buffer)));
    const bad = await falaj(['infer', 'scorer', '--npy', 'bad.npy']);
    expect(bad.code).toBe(4);
    expect(bad.stderr).toContain('shape');
  }, 90_000);

  it('deploys a 10 % canary, switches blue-green, and starts, reads, pauses and aborts a rollout', async () => {
    const canary = ok(await falaj(['deploy', 'scorer', '--canary', '10', '--json']));
    expect(canary.json.targets).toEqual([
      { version: 1, weight: 90 },
      { version: 2, weight: 10 },
    ]);
    const switched = ok(await falaj(['switch', 'scorer', '2', '--json']));
    expect(switched.json.targets).toEqual([
      { version: 2, weight: 100 },
      { version: 1, weight: 0 },
    ]);
    const back = ok(await falaj(['switch', 'scorer', '--back', '--json']));
    expect(back.json.targets).toEqual([
      { version: 1, weight: 100 },
      { version: 2, weight: 0 },
    ]);

    const refused = await falaj(['rollout', 'start', 'scorer', '--canary', '2', '--steps', '50,20']);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('steps must rise');
    const started = ok(await falaj(['rollout', 'start', 'scorer', '--canary', '2', '--steps', '50,100', '--pause', '600', '--json']));
    expect(started.json).toMatchObject({ state: 'progressing', baselineVersion: 1, canaryVersion: 2, canaryWeight: 50 });
    const status = ok(await falaj(['rollout', 'status', 'scorer', '--json']));
    expect(status.json).toMatchObject({ id: started.json.id, state: 'progressing' });
    expect(status.json.live.verdict.action).toBe('hold');
    expect(ok(await falaj(['rollout', 'pause', 'scorer', '--json'])).json.state).toBe('paused');
    const aborted = ok(await falaj(['rollout', 'abort', 'scorer', started.json.id, '--reason', 'not today', '--json']));
    expect(aborted.json).toMatchObject({ state: 'aborted', canaryWeight: 0, reason: 'not today' });
    // The live view ends at once on a finished rollout, and says by its exit code that it did not succeed.
    const watched = await falaj(['rollout', 'status', 'scorer', '--watch', '--json']);
    expect(watched.code).toBe(6);
    expect(JSON.parse(watched.stdout.trim().split('\n').at(-1)!).state).toBe('aborted');
    expect(ok(await falaj(['deploy', 'scorer', '--version', '1', '--json'])).json.targets).toEqual([{ version: 1, weight: 100 }]);
  }, 60_000);

  it('submits a job, follows it to 100 % and fetches its results in input order', async () => {
    const done = ok(await falaj(['jobs', 'submit', 'rows.ndjson', '--model', 'scorer', '--wait', '--json']));
    expect(done.json).toMatchObject({ state: 'completed', total: 40, processed: 40, failed: 0 });
    const results = ok(await falaj(['jobs', 'results', done.json.id, '--json']));
    const rows = results.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(rows.map((r) => r.index)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(rows.every((r) => r.state === 'done' && r.status === 200 && r.output.outputs[0].shape[1] === 3)).toBe(true);
    expect((await falaj(['jobs', 'status', '00000000-0000-4000-8000-000000000000'])).code).toBe(3);
  }, 60_000);

  it("reads the tenant's audit log and live load", async () => {
    const audit = await eventually(
      'the CLI calls in the audit log',
      async () => {
        const run = ok(await falaj(['audit', '--model', 'scorer', '--json']));
        return run.json.records.filter((r: { protocol: string }) => r.protocol === 'rest').length >= 3 ? run : undefined;
      },
      30_000,
      500,
    );
    expect(audit.json.records.every((r: { model: string; tenantId: string }) => r.model === 'scorer' && r.tenantId === 'acme')).toBe(true);
    const top = ok(await falaj(['top', '--once', '--window', '600', '--json']));
    const scorer = top.json.models.find((m: { model: string; version: number }) => m.model === 'scorer' && m.version === 1);
    expect(scorer.requests).toBeGreaterThanOrEqual(3);
    expect(scorer.p95Ms).toBeGreaterThan(0);

    // Filters and the next page's cursor; an export streamed to a file or stdout.
    const filters = ['--model', 'scorer', '--version', '1', '--status', '2xx', '--protocol', 'rest'];
    const first = ok(await falaj(['audit', ...filters, '--limit', '2', '--json'])).json;
    expect(first.records).toHaveLength(2);
    const next = ok(await falaj(['audit', ...filters, '--limit', '2', '--cursor', first.nextCursor, '--json'])).json;
    expect(next.records.length).toBeGreaterThan(0);
    expect(next.records.map((r: { eventId: string }) => r.eventId)).not.toContain(first.records[0].eventId);
    expect(ok(await falaj(['audit', ...filters, '--limit', '2'])).stdout).toContain('more: the same command with --cursor ');
    ok(await falaj(['audit', ...filters, '--format', 'csv', '-o', 'audit.csv']));
    const csv = readFileSync(join(work, 'audit.csv'), 'utf8').trimEnd().split('\r\n');
    expect(csv[0]).toMatch(/^occurredAt,eventId,requestId,tenantId,/);
    const ndjson = ok(await falaj(['audit', ...filters, '--format', 'ndjson']))
      .stdout.trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(csv.length - 1).toBe(ndjson.length);
    expect(ndjson.every((r: { tenantId: string; status: number }) => r.tenantId === 'acme' && r.status < 300)).toBe(true);
    expect((await falaj(['audit', '--tenant', 'beta'])).code).toBe(2);
    const bad = await falaj(['audit', '--from', 'yesterday']);
    expect(bad.code).toBe(4);
    expect(bad.stderr).toContain('from: an ISO 8601');
    expect((await falaj(['audit', '--format', 'xlsx'])).code).toBe(1);
  }, 90_000);

  it("keeps tenants apart: another tenant's CLI cannot see or call acme's model, nor act past its scopes", async () => {
    const list = ok(await falaj(['models', 'list', '--json'], { configDir: betaDir }));
    expect(list.json.models.map((m: { name: string }) => m.name)).not.toContain('scorer');
    expect((await falaj(['versions', 'list', 'scorer'], { configDir: betaDir })).code).toBe(3);
    const infer = await falaj(['infer', 'scorer', '--json', 'request.json'], { configDir: betaDir });
    expect(infer.code).toBe(3);
    expect(ok(await falaj(['models', 'push', MODEL_FILE, '--model', 'scorer', '--json'], { configDir: betaDir })).json).toMatchObject({ modelCreated: true, version: 1 });
    const deploy = await falaj(['deploy', 'scorer', '--version', '1'], { configDir: betaDir });
    expect(deploy.code).toBe(2);
    expect(deploy.stderr).toContain('fix:');
    expect(ok(await falaj(['models', 'list', '--json'])).json.models.map((m: { name: string }) => m.name)).toEqual(['scorer']);
  }, 30_000);
});
