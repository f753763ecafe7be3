import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** Each built app validates its environment before it touches anything, and names what is wrong. */
const main = (app: string) => join(__dirname, '..', 'dist', 'apps', app, 'src', 'main.js');

function boot(app: string, env: NodeJS.ProcessEnv) {
  const result = spawnSync(process.execPath, [main(app)], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('configuration at start', () => {
  it.each([
    ['registry', {}, 'FALAJ_KEY_ENCRYPTION_KEY is not set'],
    ['cpu-worker', {}, 'FALAJ_CLIENT_ID and FALAJ_CLIENT_SECRET'],
    ['gpu-worker', {}, 'FALAJ_CLIENT_ID and FALAJ_CLIENT_SECRET'],
    // An issuer trusted with a symmetric algorithm would let anyone holding its secret sign.
    ['gateway', { FALAJ_TRUSTED_ISSUERS: '[{"issuer":"https://idp.example","algorithms":["HS256"]}]' }, 'FALAJ_TRUSTED_ISSUERS.0.algorithms.0'],
    ['router', { FALAJ_TRUSTED_ISSUERS: 'not json' }, 'FALAJ_TRUSTED_ISSUERS'],
    // TLS is the default: without its files an app serves nothing, unless plain HTTP is asked for by name.
    // (Kafka in plaintext by name here, so that the TLS rule is the one refused.)
    ['gateway', { FALAJ_KAFKA_SECURITY: 'plaintext' }, 'FALAJ_TLS_CERT_FILE, FALAJ_TLS_KEY_FILE, FALAJ_TLS_CA_FILE are not set'],
    ['router', { FALAJ_KAFKA_SECURITY: 'plaintext', FALAJ_PLAINTEXT: 'true', FALAJ_TLS_CERT_FILE: '/tls/router.crt' }, 'FALAJ_PLAINTEXT is true and TLS files are set'],
    // Kafka is SASL_SSL by default: without the app's SCRAM login it does not start.
    ['router', { FALAJ_PLAINTEXT: 'true' }, 'FALAJ_KAFKA_USERNAME is not set'],
  ] as const)('stops %s when a required or unsafe setting is wrong, naming it', (app, env, named) => {
    const { status, output } = boot(app, env);
    expect(status).toBe(1);
    expect(output).toContain(`${app}: invalid configuration`);
    expect(output).toContain(named);
  });

  it.each([
    ['the placeholder k8s/ once shipped', 'replace-me-with-at-least-32-random-characters', 'is a placeholder'],
    ['the placeholder docker-compose.yml once shipped', 'falaj-local-dev-only-jwt-secret-do-not-deploy', 'is a placeholder'],
    ['a low-entropy secret', 'abcdabcdabcdabcdabcdabcdabcdabcdabcdabcd', 'has too little entropy'],
  ])('refuses %s as a secret, without echoing it', (_case, secret, reason) => {
    const registry = boot('registry', { FALAJ_KEY_ENCRYPTION_KEY: secret });
    expect(registry.status).toBe(1);
    expect(registry.output).toContain(`FALAJ_KEY_ENCRYPTION_KEY is "***": ${reason}`);
    expect(registry.output).not.toContain(secret);
    const worker = boot('cpu-worker', { FALAJ_CLIENT_ID: 'falaj-cpu-worker', FALAJ_CLIENT_SECRET: secret });
    expect(worker.status).toBe(1);
    expect(worker.output).toContain(`FALAJ_CLIENT_SECRET is "***": ${reason}`);
    expect(worker.output).not.toContain(secret);
  });

  it('stops an app whose TLS files cannot be read, naming each', () => {
    const { status, output } = boot('router', {
      FALAJ_KAFKA_SECURITY: 'plaintext',
      FALAJ_TLS_CERT_FILE: '/nonexistent/router.crt',
      FALAJ_TLS_KEY_FILE: '/nonexistent/router.key',
      FALAJ_TLS_CA_FILE: '/nonexistent/ca.crt',
    });
    expect(status).toBe(1);
    expect(output).toContain('[router] failed to start: TLS: FALAJ_TLS_CERT_FILE names a file that cannot be read (/nonexistent/router.crt): ENOENT');
    expect(output).toContain('FALAJ_TLS_CA_FILE names a file that cannot be read');
  });

  it('names every malformed variable at once, and never echoes a secret', () => {
    const { status, output } = boot('registry', {
      FALAJ_KEY_ENCRYPTION_KEY: 'too-short-secret',
      FALAJ_REGISTRY_PORT: 'eighty',
      FALAJ_KAFKA_BROKERS: 'no-port-here',
      FALAJ_DATABASE_URL: 'mysql://x/y',
    });
    expect(status).toBe(1);
    for (const variable of ['FALAJ_KEY_ENCRYPTION_KEY', 'FALAJ_REGISTRY_PORT is "eighty"', 'FALAJ_KAFKA_BROKERS is "no-port-here"', 'FALAJ_DATABASE_URL']) {
      expect(output).toContain(variable);
    }
    expect(output).not.toContain('too-short-secret');
  });
});
