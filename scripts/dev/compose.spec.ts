import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';

/**
 * docker-compose.yml cannot run on the development machines (no Docker engine, no image registry),
 * so this keeps it honest where it can be checked: everything it mounts is made by
 * compose-setup.sh, it names no plaintext path, and every app gets its certificate, the CA and its
 * own logins only.
 */
const root = join(__dirname, '..', '..');
type Service = {
  environment?: Record<string, unknown>;
  secrets?: (string | { source: string; target?: string })[];
  volumes?: string[];
  command?: string[];
};
const compose = load(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service>; secrets: Record<string, { file: string }> };
const APPS = ['registry', 'gateway', 'router', 'cpu-worker', 'gpu-worker'];
const targets = (service: Service) => (service.secrets ?? []).map((s) => (typeof s === 'string' ? s : (s.target ?? s.source)));
const sources = (service: Service) => (service.secrets ?? []).map((s) => (typeof s === 'string' ? s : s.source));

describe('docker-compose.yml', () => {
  beforeAll(() => {
    execFileSync('bash', [join(root, 'scripts/dev/compose-setup.sh')], { cwd: root, stdio: 'ignore' });
  }, 60_000);

  it('mounts only files compose-setup.sh made', () => {
    const mounted = [
      ...Object.values(compose.secrets).map((s) => s.file),
      ...Object.values(compose.services).flatMap((s) => (s.volumes ?? []).filter((v) => v.startsWith('./')).map((v) => v.split(':')[0])),
    ];
    expect(mounted.length).toBeGreaterThan(20);
    expect(mounted.filter((file) => !existsSync(join(root, file)))).toEqual([]);
  });

  it('names every secret a service uses, and uses every secret it names', () => {
    const used = new Set(Object.values(compose.services).flatMap(sources));
    expect([...used].filter((name) => !(name in compose.secrets))).toEqual([]);
    expect(Object.keys(compose.secrets).filter((name) => !used.has(name))).toEqual([]);
  });

  it('has no plaintext path: no FALAJ_PLAINTEXT, no plaintext Kafka, Redis on TLS only, https URLs', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      const env = service.environment ?? {};
      expect({ name, plaintext: env.FALAJ_PLAINTEXT }).toEqual({ name, plaintext: undefined });
      expect({ name, kafka: env.FALAJ_KAFKA_SECURITY ?? 'sasl_ssl' }).toEqual({ name, kafka: 'sasl_ssl' });
      for (const [key, value] of Object.entries(env)) if (/_URL$/.test(key)) expect(String(value)).toMatch(/^(https|rediss|postgres):\/\//);
    }
    const redis = compose.services.redis.command!;
    expect(redis[redis.indexOf('--port') + 1]).toBe('0');
    expect(compose.services.registry.environment?.FALAJ_DATABASE_SSL_MODE).toBeUndefined(); // verify-full, the default
  });

  it.each(APPS)('%s gets its own certificate, the CA and its class logins, nothing of another app', (app) => {
    const service = compose.services[app];
    expect(targets(service)).toEqual(expect.arrayContaining(['tls.crt', 'tls.key', 'ca.crt', 'redis-password', 'kafka-password']));
    const own = sources(service).filter((s) => s.endsWith('-tls-crt') || s.endsWith('-tls-key'));
    expect(own).toEqual([`${app}-tls-crt`, `${app}-tls-key`]);
    if (app !== 'registry') expect(sources(service)).not.toEqual(expect.arrayContaining(['key-encryption-key']));
  });

  it('renders the broker configuration completely, its keystore with a PKCS#8 key', () => {
    const properties = readFileSync(join(root, '.local/compose/kafka/server.properties'), 'utf8');
    const settings = properties.split('\n').filter((line) => !line.startsWith('#'));
    expect(settings.filter((line) => /@[A-Z_]+@/.test(line))).toEqual([]);
    expect(properties).toMatch(/^listeners=SASL_SSL:\/\/0\.0\.0\.0:9092,/m);
    expect(properties).toMatch(/^allow\.everyone\.if\.no\.acl\.found=false$/m);
    expect(readFileSync(join(root, '.local/compose/kafka/keystore.pem'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });
});
