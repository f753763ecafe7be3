// After the apps start: waits for them, creates the dev tenant and its client (service account)
// at the built-in issuer, registers and promotes the demo model through the admin API, proves an
// inference, and writes .local/credentials.json. Idempotent: a second `npm start` reuses what the
// first created. Tokens are fetched by client credentials and never printed.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const env = process.env;
// TLS unless the apps were started with FALAJ_PLAINTEXT=true; node trusts the CA through
// NODE_EXTRA_CA_CERTS, set by scripts/start.sh.
const scheme = env.FALAJ_PLAINTEXT === 'true' ? 'http' : 'https';
const caFile = env.FALAJ_TLS_CA_FILE_SHOWN ?? '.local/tls/ca.crt';
const cacert = scheme === 'https' ? ` --cacert ${caFile}` : '';
const gatewayUrl = `${scheme}://127.0.0.1:${env.FALAJ_GATEWAY_PORT ?? 8080}`;
const grpcAddress = `127.0.0.1:${env.FALAJ_GRPC_PORT ?? 8001}`;
const issuer = env.FALAJ_ISSUER_URL ?? `${scheme}://127.0.0.1:${env.FALAJ_REGISTRY_PORT ?? 8081}`;
const tokenEndpoint = `${issuer}/oauth2/token`;
const secretsDir = env.FALAJ_SECRETS_DIR;
const CREDENTIALS = '.local/credentials.json';
const DEV_SCOPES = ['infer', 'models:read', 'models:write', 'deployments:write', 'versions:pin', 'audit:read'];
const MODEL = 'tiny-mlp';
const MODEL_FILE = 'models/tiny-mlp.onnx';
const TENANT = { id: 'dev', name: 'Development', residency: 'ae' };

const health = {
  registry: `${scheme}://127.0.0.1:${env.FALAJ_REGISTRY_PORT ?? 8081}/health/ready`,
  router: `${scheme}://127.0.0.1:${env.FALAJ_ROUTER_PORT ?? 8082}/health/ready`,
  'cpu-worker': `${scheme}://127.0.0.1:8083/health/ready`,
  'gpu-worker': `${scheme}://127.0.0.1:8084/health/live`,
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

/** An access token by the client-credentials grant (RFC 6749 §4.4), or null if the client is refused. */
async function clientToken(clientId, clientSecret) {
  const response = await fetch(tokenEndpoint, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  if (response.status === 401) return null;
  const body = await response.json();
  if (!response.ok) throw new Error(`token endpoint: HTTP ${response.status} ${body.error}: ${body.error_description}`);
  return body.access_token;
}

const adminClientId = 'falaj-admin';
const adminClientSecret = readFileSync(join(secretsDir, 'falaj-admin.secret'), 'utf8').trim();
const admin = await clientToken(adminClientId, adminClientSecret);
if (!admin) throw new Error('the registry refused the operator account falaj-admin (see the registry log)');

async function artifactStored(sha) {
  const response = await fetch(health.registry.replace('/health/ready', `/internal/artifacts/${sha}`), {
    method: 'HEAD',
    headers: { authorization: `Bearer ${await clientToken('falaj-cpu-worker', readFileSync(join(secretsDir, 'falaj-cpu-worker.secret'), 'utf8').trim())}` },
  });
  await response.body?.cancel();
  return response.ok;
}

expectStatus(await call('POST', '/admin/tenants', admin, TENANT), [201, 409], 'create tenant');
// The dev client of an earlier start, if the issuer still knows it; else a new one.
const previous = existsSync(CREDENTIALS) ? JSON.parse(readFileSync(CREDENTIALS, 'utf8')) : {};
let client = previous.clientId && previous.clientSecret ? { clientId: previous.clientId, clientSecret: previous.clientSecret } : null;
let token = client ? await clientToken(client.clientId, client.clientSecret).catch(() => null) : null;
if (!token) {
  const created = expectStatus(await call('POST', `/admin/tenants/${TENANT.id}/clients`, admin, { name: 'dev (npm start)', scopes: DEV_SCOPES }), [201], 'create the dev client');
  client = { clientId: created.clientId, clientSecret: created.clientSecret };
  token = await clientToken(client.clientId, client.clientSecret);
}

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
  version = expectStatus(await call('POST', `/admin/models/${MODEL}/versions`, token, bytes, { 'content-type': 'application/octet-stream' }), [201], 'upload model');
}
if (!versions.some((v) => v.stage === 'production' && v.version === version.version)) {
  expectStatus(await call('POST', `/admin/models/${MODEL}/versions/${version.version}/stage`, token, { stage: 'production' }), [200], 'promote');
}
await until('the demo model to be ready', async () => ((await call('GET', `/v2/models/${MODEL}/ready`, token)).status === 200 ? true : undefined));

const body = { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] }] };
const started = performance.now();
const answer = expectStatus(await call('POST', `/v2/models/${MODEL}/infer`, token, body), [200], 'demo inference');
const latencyMs = performance.now() - started;

writeFileSync(
  CREDENTIALS,
  JSON.stringify(
    { gatewayUrl, grpcAddress, issuer, tokenEndpoint, tenant: TENANT.id, model: MODEL, clientId: client.clientId, clientSecret: client.clientSecret, adminClientId, adminClientSecret },
    null,
    2,
  ) + '\n',
  { mode: 0o600 },
);

const elapsed = env.FALAJ_STARTED_AT ? `${Math.round(Date.now() / 1000 - Number(env.FALAJ_STARTED_AT))} s` : 'n/a';
console.log(`
Falaj is up (started in ${elapsed}).
  gateway      ${gatewayUrl}
  gRPC         ${grpcAddress} (inference.GRPCInferenceService${scheme === 'https' ? ', TLS' : ''})${scheme === 'https' ? `\n  CA           ${caFile} (every app's certificate is from it: curl --cacert, grpcurl -cacert, NODE_EXTRA_CA_CERTS)` : ''}
  credentials  .local/credentials.json (clientId/clientSecret: tenant "${TENANT.id}", inference, models and deployments; adminClientId/adminClientSecret: platform admin)
  issuer       ${issuer} (OAuth2 client credentials; tokens live 15 min)
  demo model   ${MODEL} v${version.version}: ${JSON.stringify(answer.outputs[0].data.map((x) => +x.toFixed(4)))} in ${latencyMs.toFixed(1)} ms

Try it (a token from the token endpoint, then the model):
  TOKEN=$(curl -s${cacert} -u "$(node -p "c=require('./.local/credentials.json'); c.clientId+':'+c.clientSecret")" \\
    -d grant_type=client_credentials ${tokenEndpoint} | node -p 'JSON.parse(require("fs").readFileSync(0)).access_token')
  curl -s${cacert} -X POST ${gatewayUrl}/v2/models/${MODEL}/infer \\
    -H "Authorization: Bearer $TOKEN" \\
    -H 'Content-Type: application/json' \\
    -d '${JSON.stringify(body)}'
`);
