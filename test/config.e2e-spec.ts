import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** Each built app validates its environment before it touches anything, and names what is wrong. */
const main = (app: string) => join(__dirname, '..', 'dist', 'apps', app, 'src', 'main.js');

function boot(app: string, env: NodeJS.ProcessEnv) {
  const result = spawnSync(process.execPath, [main(app)], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('configuration at start', () => {
  it.each(['gateway', 'registry', 'router', 'cpu-worker', 'gpu-worker'])('stops %s when FALAJ_JWT_SECRET is missing, naming it', (app) => {
    const { status, output } = boot(app, {});
    expect(status).toBe(1);
    expect(output).toContain(`${app}: invalid configuration`);
    expect(output).toContain('FALAJ_JWT_SECRET is not set');
  });

  it('names every malformed variable at once, and never echoes a secret', () => {
    const { status, output } = boot('registry', {
      FALAJ_JWT_SECRET: 'too-short-secret',
      FALAJ_REGISTRY_PORT: 'eighty',
      FALAJ_KAFKA_BROKERS: 'no-port-here',
      FALAJ_DATABASE_URL: 'mysql://x/y',
    });
    expect(status).toBe(1);
    for (const variable of ['FALAJ_JWT_SECRET', 'FALAJ_REGISTRY_PORT is "eighty"', 'FALAJ_KAFKA_BROKERS is "no-port-here"', 'FALAJ_DATABASE_URL']) {
      expect(output).toContain(variable);
    }
    expect(output).not.toContain('too-short-secret');
  });
});
