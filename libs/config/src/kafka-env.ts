import { z } from 'zod';
import { strongSecret } from './secret';

const brokerList = z
  .string()
  .regex(/^[^,\s]+:\d+(,[^,\s]+:\d+)*$/, 'a comma-separated list of host:port')
  .transform((s) => s.split(','));

/**
 * How every app reaches Kafka: over TLS with its own SCRAM-SHA-512 user (the default), so the
 * broker's ACLs (libs/messaging kafka-acl.policy.ts) know which app is speaking. `plaintext` is
 * for a broker formatted before the platform's Kafka security, and must be asked for.
 * The password and the CA come from files (`FALAJ_KAFKA_PASSWORD_FILE`, `FALAJ_KAFKA_CA_FILE`).
 */
export const kafkaEnv = {
  FALAJ_KAFKA_BROKERS: brokerList.default(['127.0.0.1:9092']),
  FALAJ_KAFKA_SECURITY: z.enum(['sasl_ssl', 'plaintext']).default('sasl_ssl'),
  FALAJ_KAFKA_USERNAME: z
    .string()
    .regex(/^[a-zA-Z0-9._-]{1,100}$/, 'a SCRAM user name (letters, digits, . _ -)')
    .optional(),
  FALAJ_KAFKA_PASSWORD: strongSecret().optional(),
  /** PEM certificates to trust for the brokers' TLS (else the system's CAs). */
  FALAJ_KAFKA_CA: z
    .string()
    .regex(/-----BEGIN CERTIFICATE-----/, 'PEM certificates (-----BEGIN CERTIFICATE-----)')
    .optional(),
};

type KafkaEnv = z.output<z.ZodObject<typeof kafkaEnv>>;

/**
 * A SCRAM login. The password is a private field behind a getter (kafkajs reads `sasl.password`),
 * so neither JSON nor `util.inspect` of a configuration ever shows it.
 */
export class ScramCredentials {
  readonly mechanism = 'scram-sha-512' as const;
  readonly #password: string;

  constructor(
    readonly username: string,
    password: string,
  ) {
    this.#password = password;
  }

  get password(): string {
    return this.#password;
  }

  toJSON(): Record<string, string> {
    return { mechanism: this.mechanism, username: this.username, password: '***' };
  }
}

/** What `createKafka` needs to reach the brokers as this app. */
export interface KafkaConnection {
  brokers: string[];
  /** TLS to the brokers, trusting `ca` (PEM) or the system's CAs. */
  ssl?: { ca?: string[] };
  sasl?: ScramCredentials;
}

/** Variables that must come together: named in the app's one configuration error. */
export function kafkaEnvProblems(e: Partial<KafkaEnv>): string[] {
  if (e.FALAJ_KAFKA_SECURITY !== 'sasl_ssl') return [];
  const problems: string[] = [];
  if (!e.FALAJ_KAFKA_USERNAME) problems.push("FALAJ_KAFKA_USERNAME is not set: FALAJ_KAFKA_SECURITY=sasl_ssl needs the app's SCRAM user (or FALAJ_KAFKA_SECURITY=plaintext for an unsecured broker)");
  if (!e.FALAJ_KAFKA_PASSWORD) problems.push('FALAJ_KAFKA_PASSWORD is not set: FALAJ_KAFKA_SECURITY=sasl_ssl needs the SCRAM password, from a file (FALAJ_KAFKA_PASSWORD_FILE)');
  return problems;
}

export function kafkaConnection(e: KafkaEnv): KafkaConnection {
  if (e.FALAJ_KAFKA_SECURITY === 'plaintext') return { brokers: e.FALAJ_KAFKA_BROKERS };
  return {
    brokers: e.FALAJ_KAFKA_BROKERS,
    ssl: e.FALAJ_KAFKA_CA ? { ca: [e.FALAJ_KAFKA_CA] } : {},
    sasl: new ScramCredentials(e.FALAJ_KAFKA_USERNAME!, e.FALAJ_KAFKA_PASSWORD!),
  };
}
