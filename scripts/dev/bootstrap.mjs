// After the apps start: waits for them, creates the dev tenant and its token, registers and
// promotes the demo model through the admin API, proves an inference, and writes
// .local/credentials.json. Idempotent: a second `npm start` reuses what the first created.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { SignJWT } from 'jose';

const env = process.env;
const gatewayUrl = `http://127.0.0.1:${env.FALAJ_GATEWAY_PORT ?? 8080}`;
const grpcAddress = `127.0.0.1:${env.FALAJ_GRPC_PORT ?? 8001}`;
const secret = new TextEncoder().encode(env.FALAJ_JWT_SECRET);
const MODEL = 'tiny-mlp';
const MODEL_FILE = 'models/tiny-mlp.onnx';
const TENANT = { id: 'dev', name: 'Development', residency: 'ae' };

const health = {
  registry: `http://127.0.0.1:${env.FALAJ_REGISTRY_PORT ?? 8081}/health/ready`,
  router: `http://127.0.0.1:${env.FALAJ_ROUTER_PORT ?? 8082}/health/ready`,
  'cpu-worker': 'http://127.0.0.1:8083/health/ready',
  'gpu-worker': 'http://127.0.0.1:8084/health/live',
  gateway: `${gatewayUrl}/v2/health/ready`,
};

async function until(what, probe, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function call(method, path, token, body, headers = {}) {
  const raw = body instanceof Uint8Array;
  const response = await fetch(`${gatewayUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body && !raw ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : raw ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

function expectStatus(result, ok, what) {
  if (!ok.includes(result.status)) throw new Error(`${what}: HTTP ${result.status} ${JSON.stringify(result.json)}`);
  return result.json;
}

for (const [app, url] of Object.entries(health)) {
  await until(app, async () => ((await fetch(url)).ok ? true : undefined));
  console.log(`    ${app} is up`);
}

const mint = (claims, subject, ttl = '10m') =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(subject)
    .setIssuer('falaj')
    .setAudience('falaj')
    .setIssuedAt()
    .setExpirationTime(ttl)
    .sign(secret);
const admin = await mint({ tenant: '_platform', scope: 'platform:admin' }, 'npm-start');

async function artifactStored(sha) {
  const service = await mint({ tenant: '_platform', scope: 'artifacts:read' }, 'npm-start');
  const response = await fetch(health.registry.replace('/health/ready', `/internal/artifacts/${sha}`), {
    headers: { authorization: `Bearer ${service}` },
  });
  await response.body?.cancel();
  return response.ok;
}

expectStatus(await call('POST', '/admin/tenants', admin, TENANT), [201, 409], 'create tenant');
const { token } = expectStatus(
  await call('POST', `/admin/tenants/${TENANT.id}/tokens`, admin, {
    subject: 'dev-user',
    scopes: ['infer', 'models:read', 'models:write', 'deployments:write', 'versions:pin', 'audit:read'],
    ttlSeconds: 30 * 24 * 3600,
  }),
  [201],
  'issue token',
);

expectStatus(await call('POST', '/admin/models', token, { name: MODEL, description: 'Demo: a tiny MLP classifier (4 features → 3 classes)' }), [201, 409], 'create model');
const bytes = readFileSync(MODEL_FILE);
const sha256 = createHash('sha256').update(bytes).digest('hex');
const { versions } = expectStatus(await call('GET', `/admin/models/${MODEL}/versions`, token), [200], 'list versions');
// The version serving now if it is the demo's bytes, else the newest with those bytes.
const same = versions.filter((v) => v.sha256 === sha256);
let version = same.find((v) => v.stage === 'production') ?? same.at(-1);
if (version && !(await artifactStored(sha256))) {
  // The database remembers the demo model but its artifact store was wiped: register it again.
  console.log('    the demo artifact is missing from the store; registering it again');
  version = undefined;
  versions.length = 0;
}
if (!version) {
  version = expectStatus(
    await call('POST', `/admin/models/${MODEL}/versions`, token, bytes, { 'content-type': 'application/octet-stream' }),
    [201],
    'upload model',
  );
}
if (!versions.some((v) => v.stage === 'production' && v.version === version.version)) {
  expectStatus(await call('POST', `/admin/models/${MODEL}/versions/${version.version}/stage`, token, { stage: 'production' }), [200], 'promote');
}
await until('the demo model to be ready', async () => ((await call('GET', `/v2/models/${MODEL}/ready`, token)).status === 200 ? true : undefined));

const body = { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] }] };
const started = performance.now();
const answer = expectStatus(await call('POST', `/v2/models/${MODEL}/infer`, token, body), [200], 'demo inference');
const latencyMs = performance.now() - started;

// A platform admin's token for this machine's operator (tenants, their tokens and API keys): no
// more than the JWT secret beside it in .local/ already grants, and readable by its owner only.
const adminToken = await mint({ tenant: '_platform', scope: 'platform:admin' }, 'local-admin', '30d');
writeFileSync('.local/credentials.json', JSON.stringify({ gatewayUrl, grpcAddress, token, adminToken, tenant: TENANT.id, model: MODEL }, null, 2) + '\n', { mode: 0o600 });

const elapsed = env.FALAJ_STARTED_AT ? `${Math.round(Date.now() / 1000 - Number(env.FALAJ_STARTED_AT))} s` : 'n/a';
console.log(`
Falaj is up (started in ${elapsed}).
  gateway      ${gatewayUrl}
  gRPC         ${grpcAddress} (inference.GRPCInferenceService)
  credentials  .local/credentials.json (token: tenant "${TENANT.id}", inference, models and deployments; adminToken: platform admin)
  demo model   ${MODEL} v${version.version}: ${JSON.stringify(answer.outputs[0].data.map((x) => +x.toFixed(4)))} in ${latencyMs.toFixed(1)} ms

Try it:
  curl -s -X POST ${gatewayUrl}/v2/models/${MODEL}/infer \\
    -H "Authorization: Bearer ${token}" \\
    -H 'Content-Type: application/json' \\
    -d '${JSON.stringify(body)}'
`);
