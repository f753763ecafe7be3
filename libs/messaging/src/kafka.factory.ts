import { Logger } from '@nestjs/common';
import { Kafka, logLevel, type LogEntry, type Producer } from 'kafkajs';

/** Whatever kafkajs puts in a log entry, a credential is never written out. */
const hideCredentials = (key: string, value: unknown): unknown => (/password|sasl|authorization/i.test(key) ? '***' : value);

/** kafkajs logs through Nest's logger, at warn and above: its info chatter floods a dev terminal. */
function logCreator(clientId: string) {
  const logger = new Logger(`kafka:${clientId}`);
  return () =>
    ({ level, log }: LogEntry): void => {
      const { message, ...extra } = log;
      const line = `${message} ${JSON.stringify(extra, hideCredentials)}`;
      if (level === logLevel.ERROR) logger.error(line);
      else if (level === logLevel.WARN) logger.warn(line);
    };
}

/**
 * How to reach the brokers, as an app's configuration gives it (@falaj/config kafkaConnection):
 * TLS and a SCRAM-SHA-512 user of the app's own, or neither on a plaintext broker.
 */
export interface KafkaConnection {
  brokers: string[];
  ssl?: { ca?: string[] };
  /** The password is read when kafkajs authenticates; it is never logged (see logCreator). */
  sasl?: { mechanism: 'scram-sha-512'; username: string; readonly password: string };
}

/** The one place every app's Kafka client is made. */
export function createKafka(clientId: string, connection: KafkaConnection): Kafka {
  return new Kafka({
    clientId,
    brokers: connection.brokers,
    ...(connection.ssl ? { ssl: connection.ssl.ca ? { ca: connection.ssl.ca } : true } : {}),
    ...(connection.sasl ? { sasl: connection.sasl } : {}),
    // A TLS handshake and a SCRAM exchange per connection: kafkajs' 1 s default connect timeout
    // fails them on a loaded machine, and an authentication error is not retried.
    connectionTimeout: 10_000,
    authenticationTimeout: 10_000,
    logLevel: logLevel.WARN,
    logCreator: logCreator(clientId),
    retry: { initialRetryTime: 200, retries: 8 },
  });
}

/**
 * The apps' producer: idempotent (kafkajs then sends with acks=all, so an acknowledged message is
 * on every in-sync replica), one request in flight so a retry never reorders, no topic made by a send.
 */
export function createProducer(kafka: Kafka): Producer {
  return kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
}

/**
 * The timings of every consumer group member. A short session moves a crashed member's partitions
 * to a live one within seconds. The long poll is short too: a member that leaves (a graceful stop)
 * or is told to rejoin (a rebalance) first waits for its fetch in flight, so kafkajs' 5 s default
 * made every router stop take ~9 s (two consumers) and every rebalance wait up to 5 s; an idle
 * member's one fetch a second costs the broker nothing worth saving.
 */
export const CONSUMER_TIMINGS = { sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 1_000 } as const;

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  /** Broker-side topic settings, e.g. `cleanup.policy=compact`. */
  config?: Record<string, string>;
}

/**
 * Creates the topics that do not exist yet; safe to call from every app at boot. A topic another
 * app has just created can be briefly unknown to the broker's metadata (UNKNOWN_TOPIC_OR_PARTITION,
 * LEADER_NOT_AVAILABLE while createTopics waits for leaders): such retriable errors start the
 * whole check again after a pause, a bounded number of times, instead of failing the boot.
 */
export async function ensureTopics(kafka: Kafka, specs: TopicSpec[], attempts = ENSURE_TOPICS_ATTEMPTS): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await createMissingTopics(kafka, specs);
    } catch (error) {
      if (!(error as { retriable?: boolean }).retriable || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
    }
  }
}

const ENSURE_TOPICS_ATTEMPTS = 8;

async function createMissingTopics(kafka: Kafka, specs: TopicSpec[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length === 0) return;
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((s) => ({
        topic: s.topic,
        numPartitions: s.numPartitions,
        replicationFactor: 1,
        configEntries: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value })),
      })),
    });
  } catch (error) {
    // Two apps booting together race to create the same topic; losing that race is fine.
    if ((error as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw error;
  } finally {
    await admin.disconnect();
  }
}
