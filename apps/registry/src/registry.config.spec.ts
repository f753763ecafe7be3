import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { loadRegistryConfig } from './registry.config';

const base = {
  FALAJ_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
  FALAJ_ISSUER_URL: 'https://127.0.0.1:8081',
  FALAJ_KAFKA_USERNAME: 'falaj-registry',
  FALAJ_KAFKA_PASSWORD: randomBytes(30).toString('base64url'),
  // The apps' own HTTP TLS is not what these cases are about.
  FALAJ_PLAINTEXT: 'true',
};

describe('loadRegistryConfig', () => {
  describe('tenants on Kafka', () => {
    it("refuses to start on a sasl_ssl broker without the Kafka-token key and the provisioner's password, naming both", () => {
      expect(() => loadRegistryConfig({ ...base })).toThrow(/FALAJ_KAFKA_TOKEN_KEY is not set[\s\S]*FALAJ_KAFKA_PROVISIONER_PASSWORD is not set/);
    });

    it("provisions as the provisioner login, apart from the registry's own", () => {
      const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      const config = loadRegistryConfig({ ...base, FALAJ_KAFKA_TOKEN_KEY: pem, FALAJ_KAFKA_PROVISIONER_PASSWORD: randomBytes(30).toString('base64url'), FALAJ_STREAM_TOPIC_PREFIX: 'public' });
      expect(config.tenantKafka.provisioner.sasl?.username).toBe('falaj-provisioner');
      expect(config.kafka.sasl?.username).toBe('falaj-registry');
      expect(config.tenantKafka.streamPrefix).toBe('public');
      expect(JSON.stringify(config.tenantKafka.provisioner)).not.toContain(config.tenantKafka.provisioner.sasl!.password);
    });

    it('needs neither on a plaintext broker, and then mints no tokens', () => {
      expect(
        loadRegistryConfig({ FALAJ_KEY_ENCRYPTION_KEY: base.FALAJ_KEY_ENCRYPTION_KEY, FALAJ_ISSUER_URL: base.FALAJ_ISSUER_URL, FALAJ_PLAINTEXT: 'true', FALAJ_KAFKA_SECURITY: 'plaintext' }).tenantKafka
          .tokenKey,
      ).toBeUndefined();
    });
  });

  describe('regional stores', () => {
    const plain = { FALAJ_KEY_ENCRYPTION_KEY: base.FALAJ_KEY_ENCRYPTION_KEY, FALAJ_ISSUER_URL: base.FALAJ_ISSUER_URL, FALAJ_PLAINTEXT: 'true', FALAJ_KAFKA_SECURITY: 'plaintext' };

    it('keeps every region in the catalog when FALAJ_REGION_STORES is unset', () => {
      expect(loadRegistryConfig(plain).regionStores).toBeUndefined();
    });

    it('reads the map, and refuses to start on a bad one, naming the problem', () => {
      expect([...loadRegistryConfig({ ...plain, FALAJ_REGION_STORES: 'ae=postgres://r@127.0.0.1/falaj_test_ae,eu=catalog' }).regionStores!.keys()]).toEqual(['ae', 'eu']);
      expect(() => loadRegistryConfig({ ...plain, FALAJ_REGION_STORES: 'ae=postgres://r:pw@127.0.0.1/a' })).toThrow(/region "ae": the URL must not carry a password/);
    });
  });
});
