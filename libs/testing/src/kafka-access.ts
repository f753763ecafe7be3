import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { KAFKA_USERS, refreshingKafkaToken, type KafkaConnection, type KafkaTokenGrant, type KafkaUser } from '@falaj/messaging';

/**
 * The broker the tests run against, as scripts/infra.sh made it: SASL_SSL by default, with one
 * SCRAM user per app whose password (and the CA) lie in FALAJ_KAFKA_AUTH_DIR. The harness starts
 * each app as its own user and speaks as the operator (falaj-admin) unless a test asks otherwise.
 */
export const TEST_KAFKA = {
  brokers: (process.env.FALAJ_KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
  security: (process.env.FALAJ_KAFKA_SECURITY ?? 'sasl_ssl') as 'sasl_ssl' | 'plaintext',
  authDir: process.env.FALAJ_KAFKA_AUTH_DIR ?? join(process.env.FALAJ_STATE_DIR ?? join(homedir(), '.local/state/falaj'), 'kafka-auth'),
};

export const testKafkaPasswordFile = (user: KafkaUser): string => join(TEST_KAFKA.authDir, `${user}.password`);
export const testKafkaCaFile = (): string => join(TEST_KAFKA.authDir, 'tls', 'ca.crt');

/** The variables an app needs to reach the test broker as `user` (files, never a password). */
export function testKafkaEnv(user: KafkaUser): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { FALAJ_KAFKA_BROKERS: TEST_KAFKA.brokers.join(','), FALAJ_KAFKA_SECURITY: TEST_KAFKA.security };
  if (TEST_KAFKA.security === 'plaintext') return env;
  return { ...env, FALAJ_KAFKA_USERNAME: user, FALAJ_KAFKA_PASSWORD_FILE: testKafkaPasswordFile(user), FALAJ_KAFKA_CA_FILE: testKafkaCaFile() };
}

/** How a test client reaches the test broker as `user` (the operator by default). */
export function testKafkaConnection(user: KafkaUser = KAFKA_USERS.admin): KafkaConnection {
  if (TEST_KAFKA.security === 'plaintext') return { brokers: TEST_KAFKA.brokers };
  const password = readFileSync(testKafkaPasswordFile(user), 'utf8').trim();
  return {
    brokers: TEST_KAFKA.brokers,
    ssl: { ca: [readFileSync(testKafkaCaFile(), 'utf8')] },
    sasl: { mechanism: 'scram-sha-512', username: user, password },
  };
}

/** A quiet kafkajs client of the test broker, as `user` (the operator by default). */
export function testKafka(clientId: string, user: KafkaUser = KAFKA_USERS.admin, options: { retries?: number } = {}): Kafka {
  const { brokers, ssl, sasl } = testKafkaConnection(user);
  return new Kafka({
    clientId,
    brokers,
    ...(ssl ? { ssl: { ca: ssl.ca } } : {}),
    ...(sasl ? { sasl } : {}),
    connectionTimeout: 10_000,
    authenticationTimeout: 10_000,
    logLevel: logLevel.NOTHING,
    ...(options.retries !== undefined ? { retry: { retries: options.retries } } : {}),
  });
}

/** What a registry needs to provision tenants on the test broker: the provisioner's login and the Kafka-token key. */
export function testTenantProvisioningEnv(): NodeJS.ProcessEnv {
  if (TEST_KAFKA.security === 'plaintext') return {};
  return { FALAJ_KAFKA_PROVISIONER_PASSWORD_FILE: testKafkaPasswordFile(KAFKA_USERS.provisioner), FALAJ_KAFKA_TOKEN_KEY_FILE: join(TEST_KAFKA.authDir, 'kafka-token.key') };
}

/** A quiet kafkajs client of the test broker as a tenant: OAUTHBEARER with its Kafka token(s), as a tenant's app connects. */
export function tenantKafka(clientId: string, token: string | (() => Promise<KafkaTokenGrant>), options: { retries?: number } = {}): Kafka {
  return new Kafka({
    clientId,
    brokers: TEST_KAFKA.brokers,
    ssl: { ca: [readFileSync(testKafkaCaFile(), 'utf8')] },
    sasl: { mechanism: 'oauthbearer', oauthBearerProvider: typeof token === 'string' ? async () => ({ value: token }) : refreshingKafkaToken(token) },
    connectionTimeout: 10_000,
    authenticationTimeout: 10_000,
    logLevel: logLevel.NOTHING,
    ...(options.retries !== undefined ? { retry: { retries: options.retries } } : {}),
  });
}
