import { randomBytes } from 'node:crypto';
import { ConfigError } from '@falaj/config';
import { loadRegistryConfig } from '../registry.config';

const plain = { FALAJ_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url'), FALAJ_ISSUER_URL: 'https://127.0.0.1:8081', FALAJ_PLAINTEXT: 'true', FALAJ_KAFKA_SECURITY: 'plaintext' };

describe('loadRegistryConfig', () => {
  describe('imports', () => {
    it('allows no origin by default, and bounds archives and fetches', () => {
      expect(loadRegistryConfig(plain).imports).toEqual({ allowedOrigins: [], timeoutMs: 300_000, maxArchiveEntries: 1000 });
    });

    it('reads a comma-separated list of origins', () => {
      const config = loadRegistryConfig({ ...plain, FALAJ_IMPORT_ALLOWED_ORIGINS: ' https://models.example.com , http://127.0.0.1:9000,' });
      expect(config.imports.allowedOrigins).toEqual(['https://models.example.com', 'http://127.0.0.1:9000']);
    });

    it('refuses to start on an entry that is not an origin, naming it and the variable', () => {
      const load = () => loadRegistryConfig({ ...plain, FALAJ_IMPORT_ALLOWED_ORIGINS: 'https://models.example.com/bucket,ftp://x.example' });
      expect(load).toThrow(ConfigError);
      expect(load).toThrow(/FALAJ_IMPORT_ALLOWED_ORIGINS[\s\S]*'https:\/\/models\.example\.com\/bucket' is not an origin; write it as https:\/\/models\.example\.com/);
      expect(load).toThrow(/'ftp:\/\/x\.example' is not an http\(s\) origin/);
    });
  });
});
