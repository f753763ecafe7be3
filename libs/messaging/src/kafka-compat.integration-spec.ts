// Proves that kafkajs 2.2.4 works against the broker started by `scripts/infra.sh up` (Kafka 4.x
// removed old protocol versions, KIP-896). Runs against the real broker; fails when it is unreachable.
import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { Admin, ConfigResourceTypes, Consumer, IHeaders, Kafka, logLevel, Partitioners, Producer } from 'kafkajs';
import { testKafkaConnection } from '@falaj/testing';

// As the operator, over SASL_SSL unless FALAJ_KAFKA_SECURITY=plaintext (see libs/testing kafka-access).
const { brokers: BROKERS, ssl, sasl } = testKafkaConnection();

const RUN = `${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`;
const TOPIC = `falajtest-compat-${RUN}`;
const COMPACT_TOPIC = `falajtest-compact-${RUN}`;
const GROUP = `falajtest-group-${RUN}`;
const PARTITIONS = 3;
const KEYS = ['model-a', 'model-b', 'model-c', 'model-d', 'model-e', 'model-f'];
const COUNT = 60;

jest.setTimeout(90_000);

/** Polls `probe` until it returns a value other than undefined, or throws after `ms`. */
async function eventually<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  let lastError: unknown;
  for (let delay = 25; ; delay = Math.min(delay * 2, 500)) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${ms} ms waiting for ${what}${lastError ? `: ${lastError instanceof Error ? lastError.message : inspect(lastError)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

const headerText = (headers: IHeaders | undefined, name: string): string | undefined => {
  const value = headers?.[name];
  if (value === undefined) return undefined;
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
};

interface Received {
  partition: number;
  offset: string;
  key: string;
  value: string;
  seq: number;
  headerKey: string | undefined;
  trace: string | undefined;
}

describe('kafkajs 2.2.4 against the broker', () => {
  const kafka = new Kafka({
    clientId: 'falaj-kafka-compat-test',
    brokers: BROKERS,
    ...(ssl ? { ssl: { ca: ssl.ca } } : {}),
    ...(sasl ? { sasl } : {}),
    logLevel: logLevel.WARN,
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: { retries: 3, initialRetryTime: 200 },
  });
  let admin: Admin | undefined;
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;
  const received: Received[] = [];

  beforeAll(async () => {
    admin = kafka.admin();
    // No skip: an unreachable broker fails the suite here, with the address in the message.
    try {
      await admin.connect();
    } catch (err) {
      throw new Error(`Kafka broker not reachable at ${BROKERS.join(',')} (run \`bash scripts/infra.sh up\`): ${String(err)}`, { cause: err });
    }
  });

  afterAll(async () => {
    await consumer?.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    if (admin) {
      // Best-effort cleanup when a test failed before deleteTopics ran.
      const existing = await admin.listTopics().catch(() => [] as string[]);
      const leftovers = [TOPIC, COMPACT_TOPIC].filter((t) => existing.includes(t));
      if (leftovers.length) await admin.deleteTopics({ topics: leftovers }).catch(() => undefined);
      await admin.deleteGroups([GROUP]).catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
  });

  it('connects (ApiVersions negotiation) and describes the cluster', async () => {
    const cluster = await admin!.describeCluster();
    expect(cluster.brokers.length).toBeGreaterThanOrEqual(1);
    expect(cluster.controller).not.toBeNull();
  });

  it('creates topics, including a compacted one, and describes its config', async () => {
    const created = await admin!.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1 },
        {
          topic: COMPACT_TOPIC,
          numPartitions: 1,
          replicationFactor: 1,
          configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
        },
      ],
    });
    expect(created).toBe(true);

    const metadata = await admin!.fetchTopicMetadata({ topics: [TOPIC, COMPACT_TOPIC] });
    const byName = Object.fromEntries(metadata.topics.map((t) => [t.name, t.partitions.length]));
    expect(byName).toEqual({ [TOPIC]: PARTITIONS, [COMPACT_TOPIC]: 1 });

    const configs = await admin!.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: COMPACT_TOPIC, configNames: ['cleanup.policy'] }],
    });
    const entry = configs.resources[0].configEntries.find((e) => e.configName === 'cleanup.policy');
    expect(configs.resources[0].errorCode).toBe(0);
    expect(entry?.configValue).toBe('compact');
  });

  it('produces a keyed batch with headers', async () => {
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
    await producer.connect();

    const messages = Array.from({ length: COUNT }, (_, seq) => {
      const key = KEYS[seq % KEYS.length];
      return {
        key,
        value: JSON.stringify({ seq, key }),
        headers: { 'x-falaj-seq': String(seq), 'x-falaj-trace': Buffer.from(`trace-${RUN}-${seq}`) },
      };
    });
    const results = await producer.send({ topic: TOPIC, acks: -1, messages });
    expect(results.every((r) => r.errorCode === 0)).toBe(true);

    const compact = await producer.send({
      topic: COMPACT_TOPIC,
      acks: -1,
      messages: [
        { key: 'model-a', value: 'v1' },
        { key: 'model-a', value: 'v2' },
      ],
    });
    expect(compact[0].errorCode).toBe(0);

    const offsets = await admin!.fetchTopicOffsets(TOPIC);
    expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBe(COUNT);
  });

  it('consumes the batch in a consumer group from the beginning, in order per partition', async () => {
    consumer = kafka.consumer({ groupId: GROUP, sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 250 });
    await consumer.connect();
    await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const value = message.value?.toString('utf8') ?? '';
        received.push({
          partition,
          offset: message.offset,
          key: message.key?.toString('utf8') ?? '',
          value,
          seq: (JSON.parse(value) as { seq: number }).seq,
          headerKey: headerText(message.headers, 'x-falaj-seq'),
          trace: headerText(message.headers, 'x-falaj-trace'),
        });
      },
    });

    await eventually(`${COUNT} messages (have ${received.length})`, () => (received.length >= COUNT ? true : undefined));
    expect(received).toHaveLength(COUNT);

    // Keys, values and headers survive the round trip.
    for (const m of received) {
      expect(m.key).toBe(KEYS[m.seq % KEYS.length]);
      expect(JSON.parse(m.value)).toEqual({ seq: m.seq, key: m.key });
      expect(m.headerKey).toBe(String(m.seq));
      expect(m.trace).toBe(`trace-${RUN}-${m.seq}`);
    }
    expect(new Set(received.map((m) => m.seq)).size).toBe(COUNT);

    // A key always lands on one partition; within a partition, offsets and send order agree.
    const partitionOfKey = new Map<string, number>();
    for (const m of received) {
      expect(partitionOfKey.get(m.key) ?? m.partition).toBe(m.partition);
      partitionOfKey.set(m.key, m.partition);
    }
    for (let p = 0; p < PARTITIONS; p++) {
      const inPartition = received.filter((m) => m.partition === p);
      const offsets = inPartition.map((m) => Number(m.offset));
      expect(offsets).toEqual(offsets.map((_, i) => i));
      const seqs = inPartition.map((m) => m.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
  });

  it('commits offsets and reads them back with fetchOffsets', async () => {
    const next = new Map<number, string>();
    for (const m of received) next.set(m.partition, String(Number(m.offset) + 1));
    await consumer!.commitOffsets([...next].map(([partition, offset]) => ({ topic: TOPIC, partition, offset })));

    const high = new Map((await admin!.fetchTopicOffsets(TOPIC)).map((p) => [p.partition, p.high]));
    const committed = await eventually('committed offsets to match the high watermarks', async () => {
      const [topic] = await admin!.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
      const got = new Map(topic.partitions.map((p) => [p.partition, p.offset]));
      return [...next].every(([p, o]) => got.get(p) === o) ? got : undefined;
    });
    for (const [partition, offset] of next) expect(offset).toBe(high.get(partition));
    const nonEmpty = [...high].filter(([, h]) => h !== '0').map(([p]) => p);
    expect([...next.keys()].sort()).toEqual(nonEmpty.sort());
    expect(committed.size).toBe(PARTITIONS);

    await consumer!.disconnect();
    consumer = undefined;
  });

  it('lists and deletes the topics', async () => {
    const topics = await admin!.listTopics();
    expect(topics).toEqual(expect.arrayContaining([TOPIC, COMPACT_TOPIC]));

    await admin!.deleteTopics({ topics: [TOPIC, COMPACT_TOPIC], timeout: 10_000 });
    await eventually('deleted topics to disappear from listTopics', async () => {
      const left = await admin!.listTopics();
      return left.includes(TOPIC) || left.includes(COMPACT_TOPIC) ? undefined : true;
    });
  });
});
