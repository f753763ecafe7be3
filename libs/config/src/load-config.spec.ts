import { z } from 'zod';
import { ConfigError, commonEnv, envPort, loadEnv } from '@falaj/config';

const schema = z.object({ ...commonEnv, FALAJ_GATEWAY_PORT: envPort(8080) });
const secret = 'x'.repeat(32);

describe('loadEnv', () => {
  it('returns typed, defaulted values when the environment is valid', () => {
    const env = loadEnv('gateway', schema, { FALAJ_JWT_SECRET: secret, FALAJ_KAFKA_BROKERS: 'a:1,b:2' });
    expect(env.FALAJ_GATEWAY_PORT).toBe(8080);
    expect(env.FALAJ_KAFKA_BROKERS).toEqual(['a:1', 'b:2']);
    expect(env.FALAJ_PREFIX).toBe('falaj');
  });

  it('names every missing or malformed variable in one error', () => {
    const attempt = () => loadEnv('gateway', schema, { FALAJ_GATEWAY_PORT: 'eighty', FALAJ_PREFIX: 'Bad Prefix' });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const message = (error as ConfigError).message;
      expect(message).toContain('FALAJ_JWT_SECRET is not set');
      expect(message).toContain('FALAJ_GATEWAY_PORT is "eighty"');
      expect(message).toContain('FALAJ_PREFIX is "Bad Prefix"');
    }
  });

  it('never prints a secret it rejects', () => {
    expect(() => loadEnv('gateway', schema, { FALAJ_JWT_SECRET: 'short-secret' })).toThrow(/FALAJ_JWT_SECRET is "\*\*\*"/);
  });
});
