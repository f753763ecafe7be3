import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, ResourcePatternTypes, logLevel, type Consumer, type KafkaMessage, type LogEntry } from 'kafkajs';
import { SignJWT, calculateJwkThumbprint, exportJWK } from 'jose';
import { SCOPES } from '@falaj/auth';
import { auditEventOf, auditTopic, inferenceStreamTopics, regionAuditTopic, modelCommandsTopic, modelLifecycleTopic, tenantReplyTopicNamespace } from '@falaj/contracts';
import { KAFKA_TOKEN, KAFKA_USERS, tenantKafkaGroupPrefix, tenantKafkaPrincipal, type KafkaUser } from '@falaj/messaging';
import { FalajSuite, TEST_KAFKA, eventually, tenantKafka, testKafka, testKafkaCaFile, testKafkaPasswordFile } from '@falaj/testing';

/**
 * Issue 12, the Kafka backbone: the five built apps on the SASL_SSL broker of scripts/infra.sh,
 * each as its own SCRAM user under the ACLs of libs/messaging/src/kafka-acl.policy.ts, granted
 * for this run's prefix; each tenant as its own OAUTHBEARER principal, with the Kafka token the
 * registry gives it through the gateway and the ACLs the registry granted when it made the tenant.
 * Every refusal is the broker's own answer to a real client holding some app's or tenant's real
 * credentials; nothing is faked.
 */
const MODEL = join(__dirname, '..', '..', 'models', 'tiny-mlp.onnx');
const INPUTS = [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] }];
const CA = () => readFileSync(testKafkaCaFile(), 'utf8');
const quiet = { logLevel: logLevel.NOTHING, connectionTimeout: 5_000, requestTimeout: 10_000, retry: { retries: 0 } };

/** What a Kafka call was refused with: kafkajs' error type (a broker code such as TOPIC_AUTHORIZATION_FAILED) or its name. */
async function refusal(attempt: () => Promise<unknown>): Promise<{ type: string; message: string } | null> {
  try {
    await attempt();
    return null;
  } catch (error) {
    const e = error as { type?: string; name?: string; message: string; cause?: { type?: string }; errors?: { type?: string }[] };
    return { type: e.type ?? e.cause?.type ?? e.errors?.[0]?.type ?? e.name ?? 'unknown', message: `${e.message} ${e.cause ? JSON.stringify(e.cause) : ''}` };
  }
}

/** Who speaks: an app's SCRAM user, or a tenant's Kafka login (its token). */
type Who = KafkaUser | { tenant: string; token: string };
const nameOf = (who: Who) => (typeof who === 'string' ? who : `tenant-${who.tenant}`);
const clientOf = (who: Who, clientId: string) => (typeof who === 'string' ? testKafka(clientId, who, { retries: 0 }) : tenantKafka(clientId, who.token, { retries: 0 }));

/** A Kafka token as the registry signs one, with what a forger would change. */
async function kafkaTokenSignedWith(key: KeyObject, claims: { sub: string; aud?: string; exp?: number }): Promise<string> {
  const { kty, crv, x, y } = await exportJWK(key);
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: await calculateJwkThumbprint({ kty: kty, crv, x, y }, 'sha256') })
    .setIssuer(KAFKA_TOKEN.issuer)
    .setAudience(claims.aud ?? KAFKA_TOKEN.audience)
    .setSubject(claims.sub)
    .setIssuedAt(now - 600)
    .setExpirationTime(claims.exp ?? now + 300)
    .sign(key);
}

/**
 * Logs in with a token and lists topics: null when let in, else the broker's SASL answer. The
 * broker refuses a bad token with RFC 7628's `{"status":"invalid_token"}` challenge, which kafkajs
 * does not recognise (it sends its next request, and the broker drops the connection), so the
 * broker's own answer is read from kafkajs' debug log of the SaslAuthenticate response.
 */
async function saslAnswer(token: string): Promise<string | null> {
  const seen: string[] = [];
  const logCreator =
    () =>
    ({ log }: LogEntry) => {
      const bytes = (log as { data?: { authBytes?: unknown } }).data?.authBytes;
      if (log.message.includes('Response SaslAuthenticate') && Buffer.isBuffer(bytes)) seen.push(bytes.toString('utf8'));
    };
  const admin = new Kafka({
    clientId: 'e2e-forger',
    brokers: TEST_KAFKA.brokers,
    ssl: { ca: [CA()] },
    sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: token }) },
    ...quiet,
    logLevel: logLevel.DEBUG,
    logCreator,
  }).admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return null;
  } catch {
    return seen.join(' ') || 'refused without a SASL answer';
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

const describeIfSecure = TEST_KAFKA.security === 'sasl_ssl' ? describe : describe.skip;

describeIfSecure('Kafka backbone security: TLS, a SCRAM user per app, ACLs (e2e)', () => {
  const suite = new FalajSuite();
  const prefix = suite.prefix;
  const topics = inferenceStreamTopics(prefix);
  const operator = testKafka('e2e-kafka-acl');
  const consumers: Consumer[] = [];
  let token = '';
  /** The tenants' Kafka logins: acme's (it has the model), and acmecorp's, whose id begins with acme's. */
  const kafkaLogin: Record<string, Who> = {};
  const replies = (tenant: string) => tenantReplyTopicNamespace(prefix, tenant);
  const groupOf = (tenant: string, name: string) => `${tenantKafkaGroupPrefix(prefix, tenant)}${name}-${randomBytes(2).toString('hex')}`;

  /** `who`'s producer sends one record to `topic` (a fresh client, no retries). */
  const sendAs = async (who: Who, topic: string, value: string, headers: Record<string, string> = {}, key = `k-${randomBytes(3).toString('hex')}`) => {
    const producer = clientOf(who, `e2e-as-${nameOf(who)}`).producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      await producer.send({ topic, acks: -1, messages: [{ key, value, headers }] });
    } finally {
      await producer.disconnect();
    }
  };

  /** `who` consumes `topic` in `groupId`: the first message (with that key, if given), or the broker's refusal. */
  const readAs = async (who: Who, topic: string, groupId: string, key?: string): Promise<{ message?: KafkaMessage; refused?: string }> => {
    const consumer = clientOf(who, `e2e-read-${nameOf(who)}`).consumer({ groupId, allowAutoTopicCreation: false, readUncommitted: false, retry: { retries: 0 } });
    consumers.push(consumer);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ refused: 'nothing within 30 s' }), 30_000);
      const done = (outcome: { message?: KafkaMessage; refused?: string }) => {
        clearTimeout(timer);
        resolve(outcome);
        void consumer.disconnect().catch(() => undefined);
      };
      consumer.on(consumer.events.CRASH, ({ payload }) => done({ refused: (payload.error as { type?: string }).type ?? payload.error.message }));
      consumer
        .connect()
        .then(() => consumer.subscribe({ topic, fromBeginning: true }))
        .then(() => consumer.run({ eachMessage: async ({ message }) => (key === undefined || message.key?.toString() === key ? done({ message }) : undefined) }))
        .catch((error: { type?: string; message: string }) => done({ refused: error.type ?? error.message }));
    });
  };

  const endOffsets = async (topic: string) => (await operatorAdmin(async (admin) => admin.fetchTopicOffsets(topic))).map((p) => p.high).join(',');
  const operatorAdmin = async <T>(act: (admin: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> => {
    const admin = operator.admin();
    await admin.connect();
    try {
      return await act(admin);
    } finally {
      await admin.disconnect();
    }
  };

  beforeAll(async () => {
    await suite.start();
    const admin = await suite.platformAdminToken();
    expect((await suite.call('POST', '/admin/tenants', admin, { id: 'acme', name: 'Acme', residency: 'ae' })).status).toBe(201);
    token = await suite.token({ tenantId: 'acme', subject: 'svc', scopes: [SCOPES.infer, SCOPES.modelsRead, SCOPES.modelsWrite, SCOPES.auditRead] });
    expect((await suite.call('POST', '/admin/models', token, { name: 'tiny-mlp' })).status).toBe(201);
    expect((await suite.call('POST', '/admin/models/tiny-mlp/versions', token, readFileSync(MODEL), { 'content-type': 'application/octet-stream' })).status).toBe(201);
    expect((await suite.call('POST', '/admin/models/tiny-mlp/versions/1/stage', token, { stage: 'production' })).status).toBe(200);
    await eventually('tiny-mlp ready', async () => ((await suite.call('GET', '/v2/models/tiny-mlp/ready', token)).status === 200 ? true : undefined), 90_000);
    expect((await suite.call('POST', '/admin/tenants', admin, { id: 'acmecorp', name: 'Acme Corp', residency: 'ae' })).status).toBe(201);
    for (const tenant of ['acme', 'acmecorp']) kafkaLogin[tenant] = { tenant, token: (await suite.kafkaToken(tenant)).token };
  }, 240_000);

  afterAll(async () => {
    for (const consumer of consumers) await consumer.disconnect().catch(() => undefined);
    await suite.stop();
  }, 60_000);

  describe('who may connect', () => {
    it('refuses a client without credentials, one with a wrong password, and a plaintext client, without echoing a password', async () => {
      const [broker] = TEST_KAFKA.brokers;
      const connect = (config: Partial<ConstructorParameters<typeof Kafka>[0]>) =>
        refusal(async () => {
          const admin = new Kafka({ clientId: 'e2e-intruder', brokers: [broker], ...quiet, ...config }).admin();
          try {
            await admin.connect();
            await admin.listTopics();
          } finally {
            await admin.disconnect().catch(() => undefined);
          }
        });
      const wrong = `Wrong${randomBytes(24).toString('base64url')}`;
      const noLogin = await connect({ ssl: { ca: [CA()] } });
      const badPassword = await connect({ ssl: { ca: [CA()] }, sasl: { mechanism: 'scram-sha-512', username: KAFKA_USERS.router, password: wrong } });
      const plaintext = await connect({});
      const unknownUser = await connect({ ssl: { ca: [CA()] }, sasl: { mechanism: 'scram-sha-512', username: 'falaj-nobody', password: wrong } });
      expect(noLogin).not.toBeNull();
      expect(badPassword?.type).toMatch(/SASL|AUTHENTICATION/i);
      expect(unknownUser?.type).toMatch(/SASL|AUTHENTICATION/i);
      expect(plaintext).not.toBeNull();
      const real = readFileSync(testKafkaPasswordFile(KAFKA_USERS.router), 'utf8').trim();
      for (const seen of [noLogin, badPassword, plaintext, unknownUser]) {
        expect(seen!.message).not.toContain(wrong);
        expect(seen!.message).not.toContain(real);
      }
      // And the right password over TLS is let in.
      await expect(connect({ ssl: { ca: [CA()] }, sasl: { mechanism: 'scram-sha-512', username: KAFKA_USERS.router, password: real } })).resolves.toBeNull();
    });
  });

  describe('what each app may do (ACLs)', () => {
    it('lets a worker read the lifecycle it follows, but not the audit topic', async () => {
      const lifecycle = await readAs(KAFKA_USERS.worker, modelLifecycleTopic(prefix), `${prefix}-worker-e2e-probe-${randomBytes(2).toString('hex')}`);
      expect(lifecycle.message?.value?.toString()).toContain('tiny-mlp');
      const audit = await readAs(KAFKA_USERS.worker, auditTopic(prefix), `${prefix}-worker-e2e-probe-${randomBytes(2).toString('hex')}`);
      expect(audit.message).toBeUndefined();
      expect(audit.refused).toBe('TOPIC_AUTHORIZATION_FAILED');
    }, 90_000);

    it('refuses a worker writing a command, and the gateway writing a lifecycle event; nothing lands', async () => {
      const commands = modelCommandsTopic(prefix);
      const lifecycle = modelLifecycleTopic(prefix);
      const before = { commands: await endOffsets(commands), lifecycle: await endOffsets(lifecycle) };
      const unload = JSON.stringify({ type: 'version.unload', tenantId: 'acme', model: 'tiny-mlp', version: 1 });
      expect((await refusal(() => sendAs(KAFKA_USERS.worker, commands, unload)))?.type).toBe('TOPIC_AUTHORIZATION_FAILED');
      const repoint = JSON.stringify({ type: 'model.stage_changed', tenantId: 'acme', model: 'tiny-mlp', version: 1, stage: 'archived' });
      expect((await refusal(() => sendAs(KAFKA_USERS.gateway, lifecycle, repoint)))?.type).toBe('TOPIC_AUTHORIZATION_FAILED');
      expect((await refusal(() => sendAs(kafkaLogin.acme, lifecycle, repoint)))?.type).toBe('TOPIC_AUTHORIZATION_FAILED');
      expect({ commands: await endOffsets(commands), lifecycle: await endOffsets(lifecycle) }).toEqual(before);
      // The model is still served.
      expect((await suite.call('POST', '/v2/models/tiny-mlp/infer', token, { inputs: INPUTS })).status).toBe(200);
    }, 60_000);

    it('refuses a forged audit record from anyone but the gateway and the router, and only real calls are audited', async () => {
      const forgedId = `forged-${randomBytes(4).toString('hex')}`;
      // A region's own audit topic, as a registry with regional stores makes it.
      const regionTopic = regionAuditTopic(prefix, 'ae');
      const admin = operator.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: regionTopic, numPartitions: 1 }], waitForLeaders: true }).finally(() => admin.disconnect());
      const forged = JSON.stringify(
        auditEventOf({
          requestId: forgedId,
          tenantId: 'acme',
          subject: 'svc',
          residency: 'ae',
          model: 'tiny-mlp',
          version: 1,
          pool: 'cpu.ae',
          protocol: 'rest',
          status: 200,
          error: null,
          latencyMs: 1,
        }),
      );
      for (const user of [KAFKA_USERS.worker, kafkaLogin.acme, KAFKA_USERS.registry, KAFKA_USERS.provisioner]) {
        expect((await refusal(() => sendAs(user, auditTopic(prefix), forged, { tenant: 'acme' })))?.type).toBe('TOPIC_AUTHORIZATION_FAILED');
        // A region's own audit topic (regional stores) is the gateway's and the router's alike.
        expect((await refusal(() => sendAs(user, regionTopic, forged, { tenant: 'acme' })))?.type).toBe('TOPIC_AUTHORIZATION_FAILED');
      }
      // A real call after the forgeries: once its row is written, the audit writer is past them.
      const call = await suite.call('POST', '/v2/models/tiny-mlp/infer', token, { inputs: INPUTS });
      expect(call.status).toBe(200);
      const real = call.headers.get('x-request-id');
      expect(real).toBeTruthy();
      await eventually('the real call audited', async () => ((await suite.query('SELECT 1 FROM audit_log WHERE request_id = $1', [real])).length > 0 ? true : undefined), 60_000);
      expect(await suite.query('SELECT 1 FROM audit_log WHERE request_id = $1', [forgedId])).toEqual([]);
    }, 90_000);

    it("keeps tenants out of the platform's consumer groups and the dead letters", async () => {
      const bridgeGroup = await readAs(kafkaLogin.acme, topics.requests, `${prefix}-router-streaming`);
      // The broker answers FindCoordinator with GROUP_AUTHORIZATION_FAILED; kafkajs reports it as no coordinator found.
      expect(bridgeGroup.refused).toMatch(/GROUP_AUTHORIZATION_FAILED|Failed to find group coordinator/);
      const [group] = (await operatorAdmin((admin) => admin.describeGroups([`${prefix}-router-streaming`]))).groups;
      expect(group.members.length).toBeGreaterThan(0);
      expect(group.members.map((m) => m.clientId)).not.toContain(`e2e-read-${nameOf(kafkaLogin.acme)}`);
      const dlq = await readAs(kafkaLogin.acme, topics.dlq, groupOf('acme', 'dlq'));
      expect(dlq.refused).toBe('TOPIC_AUTHORIZATION_FAILED');
    }, 90_000);
  });

  describe('each tenant its own Kafka principal (OAUTHBEARER)', () => {
    it('answers a tenant on its own reply topic, end to end through its own Kafka login', async () => {
      const requestId = `stream-${randomBytes(4).toString('hex')}`;
      // No reply-topic: the answer goes to acme's default reply topic, made with the tenant.
      const answer = readAs(kafkaLogin.acme, replies('acme'), groupOf('acme', 'answers'), requestId);
      await sendAs(kafkaLogin.acme, topics.requests, JSON.stringify({ model_name: 'tiny-mlp', inputs: INPUTS }), { authorization: `Bearer ${token}`, 'request-id': requestId }, requestId);
      const { message, refused } = await answer;
      expect(refused).toBeUndefined();
      expect(message?.key?.toString()).toBe(requestId);
      expect(message?.headers?.status?.toString()).toBe('200');
      expect(JSON.parse(message!.value!.toString()).outputs[0].name).toBe('probabilities');
      await eventually('the streamed call audited', async () => ((await suite.query('SELECT protocol FROM audit_log WHERE request_id = $1', [requestId])).length > 0 ? true : undefined), 60_000);
    }, 120_000);

    it('lets a tenant make a reply topic of its namespace and be answered there', async () => {
      const orders = `${replies('acme')}.orders`;
      const admin = clientOf(kafkaLogin.acme, 'e2e-acme-admin').admin();
      await admin.connect();
      try {
        await admin.createTopics({ waitForLeaders: true, topics: [{ topic: orders, numPartitions: 1 }] });
      } finally {
        await admin.disconnect();
      }
      const answers = new Map<string, string | undefined>();
      const consumer = clientOf(kafkaLogin.acme, 'e2e-acme-orders').consumer({ groupId: groupOf('acme', 'orders'), readUncommitted: false });
      consumers.push(consumer);
      await consumer.connect();
      await consumer.subscribe({ topic: orders, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void answers.set(message.key!.toString(), message.headers?.status?.toString()) });
      // The router learns of a new topic from the broker's metadata within seconds (a request
      // naming it before then is dead-lettered as naming no topic): ask until one is answered.
      const sent: string[] = [];
      const status = await eventually(
        'an answer on the topic acme made',
        async () => {
          const requestId = `orders-${randomBytes(4).toString('hex')}`;
          sent.push(requestId);
          await sendAs(kafkaLogin.acme, topics.requests, JSON.stringify({ model_name: 'tiny-mlp', inputs: INPUTS }), { authorization: `Bearer ${token}`, 'reply-topic': orders }, requestId);
          return sent.map((id) => answers.get(id)).find((s) => s !== undefined);
        },
        60_000,
        2000,
      );
      expect(status).toBe('200');
    }, 120_000);

    it("refuses another tenant acme's answers, groups and namespace, and the old shared answers topic (the broker's answers)", async () => {
      const shared = `${prefix}.inference.responses`;
      // The shared topic of old, as a broker upgraded in place still has it: the question is access, not existence.
      await operatorAdmin((admin) => admin.createTopics({ waitForLeaders: true, topics: [{ topic: shared, numPartitions: 1 }] }));
      const thief = kafkaLogin.acmecorp;
      for (const topic of [replies('acme'), `${replies('acme')}.orders`, shared]) {
        expect((await readAs(thief, topic, groupOf('acmecorp', 'steal'))).refused).toBe('TOPIC_AUTHORIZATION_FAILED');
      }
      // acme's consumer group, even on a topic the thief may read.
      const joined = await readAs(thief, replies('acmecorp'), `${tenantKafkaGroupPrefix(prefix, 'acme')}answers`);
      expect(joined.refused).toMatch(/GROUP_AUTHORIZATION_FAILED|Failed to find group coordinator/);
      const planted = `${replies('acme')}.planted`;
      const admin = clientOf(thief, 'e2e-thief-admin').admin();
      await admin.connect();
      try {
        expect((await refusal(() => admin.createTopics({ waitForLeaders: true, topics: [{ topic: planted, numPartitions: 1 }] })))?.type).toBe('TOPIC_AUTHORIZATION_FAILED');
        // Its own topic it may see: the refusals above are about whose it is.
        await expect(admin.fetchTopicOffsets(replies('acmecorp'))).resolves.toHaveLength(3);
      } finally {
        await admin.disconnect();
      }
      expect(await operatorAdmin((a) => a.listTopics())).not.toContain(planted);
    }, 180_000);

    it('refuses at SASL a token of another key, an expired one, one of another audience, and an access token', async () => {
      const key = createPrivateKey(readFileSync(join(TEST_KAFKA.authDir, 'kafka-token.key')));
      const sub = tenantKafkaPrincipal(prefix, 'acme');
      const forged = {
        otherKey: await kafkaTokenSignedWith(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, { sub }),
        expired: await kafkaTokenSignedWith(key, { sub, exp: Math.floor(Date.now() / 1000) - 300 }),
        otherAudience: await kafkaTokenSignedWith(key, { sub, aud: 'falaj' }),
        accessToken: token,
      };
      for (const [what, value] of Object.entries(forged)) expect([what, await saslAnswer(value)]).toEqual([what, expect.stringContaining('invalid_token')]);
      // The same claims under the real key are let in: what was refused is the forgery.
      await expect(saslAnswer(await kafkaTokenSignedWith(key, { sub }))).resolves.toBeNull();
    }, 60_000);

    it("removes a deleted tenant's grants and reply topics: its live Kafka token opens nothing", async () => {
      const admin = await suite.platformAdminToken();
      expect((await suite.call('POST', '/admin/tenants', admin, { id: 'doomed', name: 'Doomed', residency: 'ae' })).status).toBe(201);
      const client = await suite.createClient('doomed', [SCOPES.infer]);
      const doomed: Who = { tenant: 'doomed', token: (await suite.kafkaToken('doomed', await suite.clientToken(client))).token };
      const principal = `User:${tenantKafkaPrincipal(prefix, 'doomed')}`;
      const grants = () =>
        operatorAdmin(
          async (a) =>
            (
              await a.describeAcls({
                resourceType: AclResourceTypes.ANY,
                resourcePatternType: ResourcePatternTypes.ANY,
                operation: AclOperationTypes.ANY,
                permissionType: AclPermissionTypes.ANY,
                principal,
              })
            ).resources.length,
        );
      expect(await grants()).toBeGreaterThan(0);
      await sendAs(doomed, topics.requests, 'not a request');
      // Refused while it still holds a live client.
      expect((await suite.call('DELETE', '/admin/tenants/doomed', admin)).status).toBe(409);
      expect((await suite.call('DELETE', `/admin/tenants/doomed/clients/${client.clientId}`, admin)).status).toBe(200);
      expect((await suite.call('DELETE', '/admin/tenants/doomed', admin)).status).toBe(200);
      expect(await grants()).toBe(0);
      expect(await operatorAdmin((a) => a.listTopics())).not.toContain(replies('doomed'));
      expect((await refusal(() => sendAs(doomed, topics.requests, 'not a request')))?.type).toBe('TOPIC_AUTHORIZATION_FAILED');
      expect((await readAs(doomed, replies('doomed'), groupOf('doomed', 'answers'))).refused).toBe('TOPIC_AUTHORIZATION_FAILED');
    }, 120_000);
  });

  it("writes no Kafka password into any app's log", () => {
    const logs = join(suite.workDir, 'logs');
    const passwords = Object.values(KAFKA_USERS).map((user) => readFileSync(testKafkaPasswordFile(user), 'utf8').trim());
    const files = readdirSync(logs);
    expect(files).toEqual(expect.arrayContaining(['gateway.log', 'registry.log', 'router.log', 'cpu-worker.log']));
    for (const file of files) {
      const text = readFileSync(join(logs, file), 'utf8');
      for (const password of passwords) expect(text.includes(password)).toBe(false);
    }
    // Nor any token the run handed out, the tenants' Kafka tokens included.
    expect(suite.secretsInLogs()).toEqual([]);
  });
});
