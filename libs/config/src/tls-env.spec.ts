import { z } from 'zod';
import { loadEnv } from './load-config';
import { tlsEnv, tlsSettings } from './tls-env';

const schema = z.object(tlsEnv);
const settings = (env: NodeJS.ProcessEnv) => tlsSettings('gateway', loadEnv('gateway', schema, env));
const files = { FALAJ_TLS_CERT_FILE: '/tls/gateway.crt', FALAJ_TLS_KEY_FILE: '/tls/gateway.key', FALAJ_TLS_CA_FILE: '/tls/ca.crt' };

describe('tlsSettings', () => {
  it('serves TLS from the three files, client certificates optional by default', () => {
    expect(settings(files)).toEqual({ enabled: true, certFile: '/tls/gateway.crt', keyFile: '/tls/gateway.key', caFile: '/tls/ca.crt', clientAuth: 'optional', pollIntervalMs: 2000 });
    expect(settings({ ...files, FALAJ_TLS_CLIENT_AUTH: 'require' })).toMatchObject({ clientAuth: 'require' });
  });

  it('refuses to start without TLS files unless plain HTTP is asked for by name', () => {
    expect(() => settings({})).toThrow(/FALAJ_TLS_CERT_FILE, FALAJ_TLS_KEY_FILE, FALAJ_TLS_CA_FILE are not set: every app serves TLS.*FALAJ_PLAINTEXT=true/);
    expect(() => settings({ FALAJ_TLS_CERT_FILE: files.FALAJ_TLS_CERT_FILE, FALAJ_TLS_CA_FILE: files.FALAJ_TLS_CA_FILE })).toThrow(/FALAJ_TLS_KEY_FILE is not set/);
    expect(settings({ FALAJ_PLAINTEXT: 'true' })).toEqual({ enabled: false });
  });

  it('refuses plain HTTP and TLS files together, and an unknown client-certificate mode', () => {
    expect(() => settings({ ...files, FALAJ_PLAINTEXT: 'true' })).toThrow(/choose one/);
    expect(() => settings({ ...files, FALAJ_TLS_CLIENT_AUTH: 'sometimes' })).toThrow(/FALAJ_TLS_CLIENT_AUTH/);
  });
});
