import { createHmac, hkdfSync } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { SCOPES } from '@falaj/auth';
import { encodeBytesElements, inferenceStreamTopics, regionAuditTopic, tenantReplyTopicNamespace } from '@falaj/contracts';
import { FalajSuite, eventually, testKafka } from '@falaj/testing';
import { stringIdentity } from './support/onnx-fixtures';

/**
 * Payload logging by policy (issue 13, item 2), on the real stack: the five built apps over real
 * Postgres, Redis, Kafka and onnxruntime, a model with a BYTES input (`y = Identity(x)`, so the
 * personal data comes back in the answer too). Three tenants of region `ae` send real personal
 * data over REST — `pr` under `redact` (its model's override over a tenant `full`), `ph` under
 * `hash` (set by PATCH after creation), `pf` under `full` — each with an Idempotency-Key, so the
 * kept answer is in Redis as well — and `pk` under `redact` over the Kafka bridge. Then every place a byte could sit is read whole: every topic
 * of the run's prefix from the beginning, every Redis key of the prefix (every type's values),
 * the text of every row of every table of the run's database, and the apps' logs.
 */
jest.setTimeout(180_000);

const octet = { 'content-type': 'application/octet-stream' };

/** The Luhn check digit that makes `digits` + it valid. */
function luhnDigit(digits: string): string {
  for (let d = 0; d <= 9; d++) {
    let sum = 0;
    const all = `${digits}${d}`;
    for (let i = 0; i < all.length; i++) {
      let v = Number(all[all.length - 1 - i]);
      if (i % 2 === 1) v = v * 2 > 9 ? v * 2 - 9 : v * 2;
      sum += v;
    }
    if (sum % 10 === 0) return String(d);
  }
  throw new Error('unreachable');
}

/** An AE IBAN (23 characters) with the bank code and account given, its check digits computed (mod 97). */
function aeIban(bban: string): string {
  const numeric = `${bban}AE00`.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  const check = 98 - Number(BigInt(numeric) % 97n);
  return `AE${String(check).padStart(2, '0')}${bban}`;
}

/** Personal data of one tenant, different from every other tenant's, so each is traced alone. */
function personalData(n: number): string[] {
  const card = `411111111111${n}11`;
  return [
    `reach me at fatima.${n}@example.ae please`,
    `mobile +971 50 ${n}23 45${n}7`,
    `Emirates ID 784-1990-${n}23456${n}-7`,
    `salary to ${aeIban(`033123456789012345${n}`.slice(0, 19))}`,
    `card ${(card + luhnDigit(card)).match(/.{4}/g)!.join(' ')}`,
  ];
}

/** The values a test looks for: the personal data itself, not the words around it. */
const secretsOf = (strings: string[]): string[] => strings.map((s) => s.replace(/^(reach me at |mobile |Emirates ID |salary to |card )/, '').replace(/ please$/, ''));

const TENANTS = {
  pr: { create: 'full', model: 'redact', data: personalData(1) },
  ph: { create: 'none', patch: 'hash', data: personalData(2) },
  pf: { create: 'full', data: personalData(3) },
  pk: { create: 'redact', data: personalData(4) },
} as const;
type TenantId = keyof typeof TENANTS;

describe('payload logging by policy (e2e)', () => {
  const suite = new FalajSuite();
  const tokens = {} as Record<TenantId, string>;
  const answers = {} as Record<TenantId, { status: number; json: { outputs?: { data: string[] }[] } }>;

  const infer = (tenant: TenantId, idempotencyKey: string) =>
    suite.call('POST', '/v2/models/text/infer', tokens[tenant], { inputs: [{ name: 'x', shape: [5], datatype: 'BYTES', data: TENANTS[tenant].data }] }, { 'idempotency-key': idempotencyKey });

  beforeAll(async () => {
    // The tenants' region `ae` keeps its audit in a database of its own (and `eu` in another): a
    // `full` record must land in ae's, nowhere else.
    await suite.start({ regionStores: ['ae', 'eu'] });
    const admin = await suite.platformAdminToken();
    for (const [id, t] of Object.entries(TENANTS)) {
      expect((await suite.call('POST', '/admin/tenants', admin, { id, name: id, residency: 'ae', payloadLogging: t.create })).status).toBe(201);
      if ('patch' in t) expect((await suite.call('PATCH', `/admin/tenants/${id}`, admin, { payloadLogging: t.patch })).json).toMatchObject({ payloadLogging: t.patch });
      tokens[id as TenantId] = await suite.token({ tenantId: id, scopes: [SCOPES.infer, SCOPES.modelsRead, SCOPES.modelsWrite] });
      const token = tokens[id as TenantId];
      const created = await suite.call('POST', '/admin/models', token, { name: 'text', ...('model' in t ? { payloadLogging: t.model } : {}) });
      expect(created.status).toBe(201);
      expect(created.json.payloadLogging).toBe('model' in t ? t.model : null);
      expect((await suite.call('POST', '/admin/models/text/versions', token, stringIdentity(), octet)).status).toBe(201);
      expect((await suite.call('POST', '/admin/models/text/versions/1/stage', token, { stage: 'production' })).status).toBe(200);
    }
    for (const id of Object.keys(TENANTS) as TenantId[]) {
      await eventually(`${id}'s model ready`, async () => ((await suite.call('GET', '/v2/models/text/ready', tokens[id])).status === 200 ? true : undefined), 90_000);
    }
    // Every gateway follows the policies as they change; the first calls are answered under them.
    for (const id of ['pr', 'ph', 'pf'] as const) {
      const answer = await infer(id, `first-${id}`);
      expect(answer.status).toBe(200);
      answers[id] = answer;
      // A retry is answered from the kept (sealed) answer, unchanged.
      const replay = await infer(id, `first-${id}`);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.json).toEqual(answer.json);
    }
    // `pk` over Kafka: the request on the requests topic, the answer on its own reply topic.
    const kafka = testKafka('e2e-payload-bridge');
    const producer = kafka.producer();
    await producer.connect();
    const request = { model_name: 'text', id: 'pk-1', inputs: [{ name: 'x', shape: [5], datatype: 'BYTES', data: TENANTS.pk.data }] };
    await producer.send({ topic: inferenceStreamTopics(suite.prefix).requests, messages: [{ key: 'pk-1', value: JSON.stringify(request), headers: { authorization: `Bearer ${tokens.pk}` } }] });
    await producer.disconnect();
    await eventually(
      'a payload record per tenant',
      async () => {
        const rows = await suite.queryRegion<{ tenant_id: string }>('ae', `SELECT DISTINCT tenant_id FROM payload_log`);
        return rows.length === 4 ? true : undefined;
      },
      90_000,
    );
  }, 400_000);

  afterAll(async () => {
    await suite.stop();
  }, 60_000);

  const record = async (tenant: TenantId) => {
    const [row] = await suite.queryRegion<{ policy: string; request: unknown[]; response: unknown[]; residency_region: string; table: string }>(
      'ae',
      `SELECT policy, request, response, residency_region, tableoid::regclass::text AS table FROM payload_log WHERE tenant_id = $1`,
      [tenant],
    );
    return row;
  };

  it('answers each call with its own strings (the model echoes them)', () => {
    for (const id of ['pr', 'ph', 'pf'] as const) expect(answers[id].json.outputs?.[0].data).toEqual(TENANTS[id].data);
  });

  it("keeps the redact tenant's strings with typed placeholders, the model override over the tenant's full", async () => {
    const row = await record('pr');
    const expected = ['reach me at <email> please', 'mobile <phone>', 'Emirates ID <emirates_id>', 'salary to <iban>', 'card <card>'];
    expect(row.policy).toBe('redact');
    expect(row.request).toEqual([{ kind: 'text', name: 'x', datatype: 'BYTES', shape: [5], values: expected, truncated: false }]);
    expect(row.response).toEqual([{ kind: 'text', name: 'y', datatype: 'BYTES', shape: [5], values: expected, truncated: false }]);
  });

  it("keeps a Kafka call's record under its tenant's redact, audited as protocol kafka", async () => {
    const row = await record('pk');
    expect(row.policy).toBe('redact');
    expect(row.request).toEqual([
      {
        kind: 'text',
        name: 'x',
        datatype: 'BYTES',
        shape: [5],
        values: ['reach me at <email> please', 'mobile <phone>', 'Emirates ID <emirates_id>', 'salary to <iban>', 'card <card>'],
        truncated: false,
      },
    ]);
    const [audit] = await suite.queryRegion<{ protocol: string }>('ae', `SELECT a.protocol FROM audit_log a JOIN payload_log p USING (event_id, residency_region) WHERE p.tenant_id = 'pk'`);
    expect(audit.protocol).toBe('kafka');
  });

  it("keeps the hash tenant's tensors as HMAC-SHA256 under its HKDF-derived key", async () => {
    const row = await record('ph');
    const key = Buffer.from(hkdfSync('sha256', suite.payloadKey, 'falaj-payload-v1:hmac', 'ph', 32));
    const hmac = (name: string) => {
      const data = encodeBytesElements(TENANTS.ph.data);
      return createHmac('sha256', key).update(`${name.length}:${name}`).update('5:BYTES').update('3:[5]').update(`${data.length}:`).update(data).digest('hex');
    };
    expect(row.policy).toBe('hash');
    expect(row.request).toEqual([{ kind: 'hmac', name: 'x', datatype: 'BYTES', shape: [5], hmac: hmac('x') }]);
    expect(row.response).toEqual([{ kind: 'hmac', name: 'y', datatype: 'BYTES', shape: [5], hmac: hmac('y') }]);
  });

  it("keeps the full tenant's raw strings, in its region's partition", async () => {
    const row = await record('pf');
    expect(row).toMatchObject({ policy: 'full', residency_region: 'ae', table: 'payload_log_ae' });
    expect(row.request).toEqual([{ kind: 'text', name: 'x', datatype: 'BYTES', shape: [5], values: TENANTS.pf.data, truncated: false }]);
  });

  it('refuses a policy it does not know (the old names too), an unknown tenant, and a tenant setting its own policy', async () => {
    const admin = await suite.platformAdminToken();
    const patch = await suite.call('PATCH', '/admin/tenants/pr', admin, { payloadLogging: 'hashed' });
    expect(patch.status).toBe(400);
    expect(patch.text).toContain('payloadLogging');
    expect((await suite.call('PATCH', '/admin/tenants/nobody', admin, { payloadLogging: 'hash' })).status).toBe(404);
    expect((await suite.call('PATCH', '/admin/models/text', tokens.pr, { payloadLogging: 'everything' })).status).toBe(400);
    expect((await suite.call('PATCH', '/admin/tenants/pr', tokens.pr, { payloadLogging: 'none' })).status).toBe(403);
    expect((await record('pr')).policy).toBe('redact');
  });

  describe('where the personal data is afterwards', () => {
    /** Every place, as [where, text]. */
    const places: [string, string][] = [];

    beforeAll(async () => {
      // The audit reaches its region's topic one hop after the central topic (the registry relays it):
      // search only once the run's audit has arrived there, or the search races the relay.
      await eventually('the audit relayed to the ae region topic', async () => ((await topicEnd(regionAuditTopic(suite.prefix, 'ae'))) > 0 ? true : undefined), 60_000, 250);
      // Postgres: the text of every row of every leaf table (partitions included, parents not: their
      // rows are the leaves'), in the catalog and in each region's store.
      const databases: [string, <T>(sql: string) => Promise<T[]>][] = [
        ['catalog', (sql) => suite.query(sql)],
        ...(['ae', 'eu'] as const).map((region): [string, <T>(sql: string) => Promise<T[]>] => [region, (sql) => suite.queryRegion(region, sql)]),
      ];
      for (const [database, query] of databases) {
        const tables = await query<{ name: string }>(`SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'`);
        for (const { name } of tables) {
          for (const row of await query<{ t: string }>(`SELECT x::text AS t FROM "${name}" x`)) places.push([`postgres ${database} ${name}`, row.t]);
        }
      }
      // Redis: every key of the run's prefix, every type's values.
      const redis: Redis = suite.adminRedis('payload-e2e');
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${suite.prefix}*`, 'COUNT', 1000);
          cursor = next;
          for (const key of keys) places.push([`redis ${key}`, `${key} ${await redisText(redis, key)}`]);
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
      // Kafka: every topic of the run's prefix, from the beginning to its end.
      for (const [topic, text] of await topicTexts(suite.prefix)) places.push([`kafka ${topic}`, text]);
      // The apps' logs, whole.
      const logs = join(suite.workDir, 'logs');
      for (const file of readdirSync(logs)) places.push([`log ${file}`, readFileSync(join(logs, file), 'utf8')]);
    }, 120_000);

    /** A place's text with every base64 run in it decoded too: an answer kept as base64 (as idempotency records are) hides nothing. */
    const readable = (text: string): string => `${text} ${(text.match(/[A-Za-z0-9+/]{16,}={0,2}/g) ?? []).map((run) => Buffer.from(run, 'base64').toString('latin1')).join(' ')}`;
    const holding = (value: string): string[] => places.filter(([, text]) => readable(text).includes(value)).map(([where]) => where);

    it('searched real places: the tables, keys, topics and logs of the run', () => {
      const kinds = new Set(places.map(([where]) => where.split(' ')[0]));
      expect([...kinds].sort()).toEqual(['kafka', 'log', 'postgres', 'redis']);
      expect(places.some(([where]) => where === `kafka ${regionAuditTopic(suite.prefix, 'ae')}`)).toBe(true);
      expect(places.some(([where]) => where === 'postgres ae audit_log_ae_pdefault' || where.startsWith('postgres ae audit_log_ae_p'))).toBe(true);
      expect(places.some(([where]) => where.startsWith('redis ') && where.includes(':idempotency:v1:'))).toBe(true);
    });

    it.each(['pr', 'ph'] as const)("finds none of %s's strings anywhere: not in Kafka, Redis, Postgres or a log", (tenant) => {
      for (const value of secretsOf(TENANTS[tenant].data)) expect({ value, places: holding(value) }).toEqual({ value, places: [] });
    });

    it("finds the Kafka tenant's strings only where it sent and was answered: the requests topic and its own reply topic", () => {
      const own = [`kafka ${inferenceStreamTopics(suite.prefix).requests}`, `kafka ${tenantReplyTopicNamespace(suite.prefix, 'pk')}`];
      for (const value of secretsOf(TENANTS.pk.data)) expect({ value, places: [...new Set(holding(value))].sort() }).toEqual({ value, places: own.sort() });
    });

    it("finds the full tenant's strings only in its region's payload rows, in its region's own database", () => {
      for (const value of secretsOf(TENANTS.pf.data)) expect({ value, places: holding(value) }).toEqual({ value, places: ['postgres ae payload_log_ae'] });
    });
  });
});

/** The values under a Redis key, whatever its type, as text (binary as latin1, so any byte sequence survives). */
async function redisText(redis: Redis, key: string): Promise<string> {
  const type = await redis.type(key);
  const text = (values: (Buffer | null)[]) => values.map((v) => (v ? `${v.toString('utf8')} ${v.toString('latin1')}` : '')).join(' ');
  switch (type) {
    case 'string':
      return text([await redis.getBuffer(key)]);
    case 'hash':
      return text(Object.entries(await redis.hgetallBuffer(key)).flatMap(([k, v]) => [Buffer.from(k), v]));
    case 'list':
      return text(await redis.lrangeBuffer(key, 0, -1));
    case 'set':
      return text(await redis.smembersBuffer(key));
    case 'zset':
      return text(await redis.zrangeBuffer(key, 0, -1));
    case 'stream': {
      const entries = (await redis.xrangeBuffer(key, '-', '+')) as [Buffer, Buffer[]][];
      return text(entries.flatMap(([id, fields]) => [id, ...fields]));
    }
    default:
      return type;
  }
}

/**
 * Every message of every topic named with the prefix, as text (key, value, headers), read from
 * the beginning until each partition's end offset. A partition whose last offsets are control
 * records (a transaction's markers, never delivered) counts as read once nothing came for 3 s.
 */
/** The sum of a topic's partitions' high-water marks; 0 while the topic does not exist yet. */
async function topicEnd(topic: string): Promise<number> {
  const admin = testKafka('e2e-payload-end').admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) return 0;
    return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

async function topicTexts(prefix: string): Promise<[string, string][]> {
  const kafka = testKafka('e2e-payload-drain');
  const admin = kafka.admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`) || t.startsWith(`${prefix}-`));
  const ends = new Map<string, number>();
  for (const topic of topics) for (const p of await admin.fetchTopicOffsets(topic)) if (Number(p.high) > Number(p.low)) ends.set(`${topic}/${p.partition}`, Number(p.high));
  await admin.disconnect();
  const found: [string, string][] = [];
  const seen = new Map<string, number>();
  let last = Date.now();
  const consumer = kafka.consumer({ groupId: `${prefix}-payload-drain`, readUncommitted: true });
  await consumer.connect();
  try {
    if (topics.length > 0) await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const headers = Object.entries(message.headers ?? {})
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(' ');
        found.push([topic, `${message.key?.toString('latin1') ?? ''} ${message.value?.toString('utf8') ?? ''} ${message.value?.toString('latin1') ?? ''} ${headers}`]);
        seen.set(`${topic}/${partition}`, Number(message.offset) + 1);
        last = Date.now();
      },
    });
    await eventually(
      'every topic read to its end',
      async () => {
        const done = [...ends].every(([tp, end]) => (seen.get(tp) ?? 0) >= end);
        // A transaction's commit marker takes the last offset of a partition without being a message, so
        // `end` may never be reached: quiet for 3 s is then enough — but only once every partition with
        // data has delivered something, or a slow first fetch of one topic would end the search early.
        const everyPartitionRead = [...ends.keys()].every((tp) => seen.has(tp));
        return done || (everyPartitionRead && Date.now() - last > 3000) ? true : undefined;
      },
      60_000,
    );
  } finally {
    await consumer.disconnect();
  }
  return found;
}
