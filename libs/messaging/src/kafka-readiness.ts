import type { Kafka } from 'kafkajs';

/** Readiness probe of the Kafka cluster: an admin round trip that names the brokers. */
export async function probeKafka(kafka: Kafka): Promise<{ brokers: number }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const cluster = await admin.describeCluster();
    return { brokers: cluster.brokers.length };
  } finally {
    await admin.disconnect();
  }
}
