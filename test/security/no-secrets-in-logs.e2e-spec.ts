import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCOPES } from '@falaj/auth';
import { inferenceStreamTopics } from '@falaj/contracts';
import { FalajSuite, OipGrpcClient, eventually, testKafka } from '@falaj/testing';

/**
 * Issue 12: nothing in any log contains a secret. The five apps run at their most talkative log
 * level; the run uses every credential it has, on every protocol, rightly and wrongly (a wrong
 * client secret, a revoked token, a token on a bad Kafka message, a forged token), then every app's
 * whole log is searched for every secret and token the run handed out or used — the secret files
 * the apps read, the clients' secrets, each access token and its signature alone.
 */
const MODEL = join(__dirname, '..', '..', 'models', 'tiny-mlp.onnx');
const INPUTS = [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }];

describe('no secret in any log (e2e)', () => {
  const suite = new FalajSuite();
  const verbose = { FALAJ_LOG_LEVEL: 'verbose' };

  beforeAll(() => suite.start({ gpuWorker: true, env: { gateway: verbose, registry: verbose, router: verbose, 'cpu-worker': verbose, 'gpu-worker': verbose } }), 180_000);
  afterAll(() => suite.stop(), 60_000);

  it('uses every credential, rightly and wrongly, and no app logs one', async () => {
    const admin = await suite.platformAdminToken();
    expect((await suite.call('POST', '/admin/tenants', admin, { id: 'acme', name: 'Acme', residency: 'ae' })).status).toBe(201);
    const client = await suite.createClient('acme', [SCOPES.infer, SCOPES.modelsRead, SCOPES.modelsWrite], 'svc');
    const token = await suite.clientToken(client);
    expect((await suite.call('POST', '/admin/models', token, { name: 'tiny-mlp' })).status).toBe(201);
    expect((await suite.call('POST', '/admin/models/tiny-mlp/versions', token, readFileSync(MODEL), { 'content-type': 'application/octet-stream' })).status).toBe(201);
    expect((await suite.call('POST', '/admin/models/tiny-mlp/versions/1/stage', token, { stage: 'production' })).status).toBe(200);
    await eventually('tiny-mlp ready', async () => ((await suite.call('GET', '/v2/models/tiny-mlp/ready', token)).status === 200 ? true : undefined), 90_000);

    // Rightly: REST, gRPC, Kafka.
    expect((await suite.call('POST', '/v2/models/tiny-mlp/infer', token, { inputs: INPUTS })).status).toBe(200);
    const grpc = new OipGrpcClient(suite.grpcTarget, token);
    try {
      await grpc.call('ModelInfer', { model_name: 'tiny-mlp', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: [1, 2, 3, 4] } }] });
      await expect(grpc.call('ModelInfer', { model_name: 'tiny-mlp' }, forge(token))).rejects.toMatchObject({ code: 16 });
    } finally {
      grpc.close();
    }
    const kafka = testKafka('e2e-no-secrets');
    const producer = kafka.producer();
    await producer.connect();
    const topics = inferenceStreamTopics(suite.prefix);
    const kafkaAdmin = kafka.admin();
    await kafkaAdmin.connect();
    await eventually('the request topic', async () => ((await kafkaAdmin.listTopics()).includes(topics.requests) ? true : undefined));
    await kafkaAdmin.disconnect();
    await producer.send({
      topic: topics.requests,
      messages: [
        { key: 'good', value: JSON.stringify({ model_name: 'tiny-mlp', id: 'good', inputs: INPUTS }), headers: { authorization: `Bearer ${token}` } },
        // Wrongly: a message the bridge dead-letters, carrying the token under both spellings.
        { key: 'bad', value: '{"not json', headers: { Authorization: `Bearer ${token}`, authorization: `Bearer ${token}` } },
        { key: 'forged', value: JSON.stringify({ model_name: 'tiny-mlp', id: 'forged', inputs: INPUTS }), headers: { authorization: `Bearer ${forge(token)}` } },
      ],
    });
    await producer.disconnect();

    // Wrongly at the issuer and the edge: a wrong secret, a forged token, a revoked one.
    const wrongSecret = `${client.clientSecret.slice(0, -4)}AAAA`;
    suite.rememberSecret(wrongSecret, 'a wrong client secret');
    await expect(suite.clientToken({ clientId: client.clientId, clientSecret: wrongSecret })).rejects.toThrow(/401|invalid_client/);
    const forged = forge(token);
    suite.rememberSecret(forged, 'a forged token');
    expect((await suite.call('POST', '/v2/models/tiny-mlp/infer', forged, { inputs: INPUTS })).status).toBe(401);
    const revoked = await suite.clientToken(client);
    const revoke = await fetch(`${suite.registryUrl}/oauth2/revoke`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: revoked }).toString(),
    });
    expect(revoke.status).toBe(200);
    await eventually('the revoked token refused', async () => ((await suite.call('POST', '/v2/models/tiny-mlp/infer', revoked, { inputs: INPUTS })).status === 401 ? true : undefined), 15_000);
    // An admin proxy call with a bad body, which the registry logs as an error.
    expect((await suite.call('POST', '/admin/models', token, '{"name":')).status).toBeGreaterThanOrEqual(400);

    // The whole log of every app, once each has stopped and written its last line.
    for (const name of ['gateway', 'router', 'cpu-worker', 'gpu-worker', 'registry']) await suite.app(name).stop();
    // The search can fail: the run's prefix, which the apps log (topics, consumer groups), is found.
    suite.rememberSecret(suite.prefix, 'the control');
    const found = suite.secretsInLogs();
    expect(found.filter((f) => f.secret === 'the control').length).toBeGreaterThan(0);
    expect(found.filter((f) => f.secret !== 'the control')).toEqual([]);
  }, 240_000);
});

/** The token with its signature's last characters changed: still well formed, never valid. */
function forge(token: string): string {
  const [header, payload, signature] = token.split('.');
  return `${header}.${payload}.${signature.slice(0, -6)}${signature.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA'}`;
}
