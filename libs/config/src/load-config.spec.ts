import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ConfigError, commonConfig, commonEnv, envPort, loadEnv } from '@falaj/config';

const schema = z.object({ ...commonEnv, FALAJ_GATEWAY_PORT: envPort(8080) });

describe('loadEnv', () => {
  it('returns typed, defaulted values when the environment is valid', () => {
    const env = loadEnv('gateway', schema, { FALAJ_KAFKA_BROKERS: 'a:1,b:2', FALAJ_KAFKA_SECURITY: 'plaintext' });
    expect(env.FALAJ_GATEWAY_PORT).toBe(8080);
    expect(env.FALAJ_KAFKA_BROKERS).toEqual(['a:1', 'b:2']);
    expect(env.FALAJ_PREFIX).toBe('falaj');
  });

  it('names every missing or malformed variable in one error', () => {
    const attempt = () => loadEnv('gateway', schema, { FALAJ_GATEWAY_PORT: 'eighty', FALAJ_PREFIX: 'Bad Prefix', FALAJ_TRUSTED_ISSUERS: '[{}]' });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const message = (error as ConfigError).message;
      expect(message).toContain('FALAJ_TRUSTED_ISSUERS.0.issuer is "[{}]"');
      expect(message).toContain('FALAJ_GATEWAY_PORT is "eighty"');
      expect(message).toContain('FALAJ_PREFIX is "Bad Prefix"');
    }
  });

  it('never prints a secret it rejects', () => {
    expect(() => loadEnv('gateway', schema, { FALAJ_CLIENT_SECRET: 'short-secret' })).toThrow(/FALAJ_CLIENT_SECRET is "\*\*\*"/);
  });

  it('refuses a Redis URL that carries a password, and never echoes the password', () => {
    const attempt = () => loadEnv('gateway', schema, { FALAJ_REDIS_URL: 'rediss://falaj-gateway:hunter2-hunter2@127.0.0.1:6380' });
    expect(attempt).toThrow(/FALAJ_REDIS_URL is "rediss:\/\/\*\*\*@127\.0\.0\.1:6380": must not carry credentials/);
    expect(attempt).not.toThrow(/hunter2/);
  });
});

describe('loadEnv with secret files', () => {
  const { mkdtempSync, writeFileSync } = jest.requireActual<typeof import('node:fs')>('node:fs');
  const { join } = jest.requireActual<typeof import('node:path')>('node:path');
  const { tmpdir } = jest.requireActual<typeof import('node:os')>('node:os');

  it('reads FALAJ_X from the file FALAJ_X_FILE names, and refuses a placeholder there too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'falaj-secret-'));
    writeFileSync(join(dir, 'good'), `${'Zq8'.repeat(2)}${randomBytes(32).toString('base64url')}\n`);
    writeFileSync(join(dir, 'placeholder'), 'replace-me-with-at-least-32-random-characters\n');
    const env = loadEnv('worker', schema, { FALAJ_CLIENT_ID: 'falaj-cpu-worker', FALAJ_CLIENT_SECRET_FILE: join(dir, 'good'), FALAJ_KAFKA_SECURITY: 'plaintext' });
    expect(env.FALAJ_CLIENT_SECRET).toMatch(/^Zq8Zq8/);
    expect(() => loadEnv('worker', schema, { FALAJ_CLIENT_SECRET_FILE: join(dir, 'placeholder') })).toThrow(/FALAJ_CLIENT_SECRET is "\*\*\*": is a placeholder/);
    expect(() => loadEnv('worker', schema, { FALAJ_CLIENT_SECRET_FILE: join(dir, 'missing') })).toThrow(/cannot be read: ENOENT/);
  });
});

describe('Kafka connection', () => {
  const { mkdtempSync, writeFileSync } = jest.requireActual<typeof import('node:fs')>('node:fs');
  const { join } = jest.requireActual<typeof import('node:path')>('node:path');
  const { tmpdir } = jest.requireActual<typeof import('node:os')>('node:os');
  const { inspect } = jest.requireActual<typeof import('node:util')>('node:util');
  const password = randomBytes(30).toString('base64url');
  const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

  it("is SASL_SSL by default and wants the app's SCRAM user and password, both named at once", () => {
    expect(() => loadEnv('gateway', schema, {})).toThrow(/FALAJ_KAFKA_USERNAME is not set[\s\S]*FALAJ_KAFKA_PASSWORD is not set/);
  });

  it('reads the password and the CA from files, and no log or JSON of the configuration shows the password', () => {
    const dir = mkdtempSync(join(tmpdir(), 'falaj-kafka-'));
    writeFileSync(join(dir, 'password'), `${password}\n`);
    writeFileSync(join(dir, 'ca.crt'), CA);
    const e = loadEnv('router', schema, { FALAJ_PLAINTEXT: 'true', FALAJ_KAFKA_USERNAME: 'falaj-router', FALAJ_KAFKA_PASSWORD_FILE: join(dir, 'password'), FALAJ_KAFKA_CA_FILE: join(dir, 'ca.crt') });
    const { kafka } = commonConfig(e);
    expect(kafka.ssl).toEqual({ ca: [CA.trim()] });
    expect(kafka.sasl).toMatchObject({ mechanism: 'scram-sha-512', username: 'falaj-router', password });
    expect(JSON.stringify(kafka)).not.toContain(password);
    expect(inspect(kafka, { depth: 10 })).not.toContain(password);
  });

  it('refuses a weak password without echoing it', () => {
    expect(() => loadEnv('router', schema, { FALAJ_KAFKA_USERNAME: 'falaj-router', FALAJ_KAFKA_PASSWORD: 'hunter2hunter2' })).toThrow(/FALAJ_KAFKA_PASSWORD is "\*\*\*"/);
  });

  it('connects without TLS or a login only when asked for plaintext', () => {
    expect(commonConfig(loadEnv('router', schema, { FALAJ_PLAINTEXT: 'true', FALAJ_KAFKA_SECURITY: 'plaintext' })).kafka).toEqual({ brokers: ['127.0.0.1:9092'] });
  });
});
