import { z } from 'zod';
import { CLIENT_AUTH_MODES, type TlsSettings } from '@falaj/tls';
import { ConfigError } from './config.error';

const file = z.string().min(1).optional();
const boolean = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** Transport security, read by every app (docs/security.md#transport-security-tls-and-mtls). */
export const tlsEnv = {
  /** The app's certificate (PEM; the chain, leaf first), served and presented to the apps it calls. */
  FALAJ_TLS_CERT_FILE: file,
  FALAJ_TLS_KEY_FILE: file,
  /** The CA bundle every peer must chain to: the servers the app calls and the clients that present a certificate. */
  FALAJ_TLS_CA_FILE: file,
  /** The HTTP listener's client certificates: none, optional (one presented must be the CA's), require (mTLS). */
  FALAJ_TLS_CLIENT_AUTH: z.enum(CLIENT_AUTH_MODES).default('optional'),
  /** How often the files are polled for a rotation, besides fs.watch. */
  FALAJ_TLS_POLL_INTERVAL_MS: z.coerce.number().int().min(100).max(600_000).default(2000),
  /** Plain HTTP, only when asked for by name: without TLS files an app refuses to start otherwise. */
  FALAJ_PLAINTEXT: boolean.default(false),
};

type TlsEnv = z.output<z.ZodObject<typeof tlsEnv>>;

/** TLS on with all three files, or plain HTTP with FALAJ_PLAINTEXT=true; anything between is a named error. */
export function tlsSettings(app: string, e: TlsEnv): TlsSettings {
  const files = { FALAJ_TLS_CERT_FILE: e.FALAJ_TLS_CERT_FILE, FALAJ_TLS_KEY_FILE: e.FALAJ_TLS_KEY_FILE, FALAJ_TLS_CA_FILE: e.FALAJ_TLS_CA_FILE };
  const missing = Object.entries(files)
    .filter(([, v]) => !v)
    .map(([k]) => k);
  if (e.FALAJ_PLAINTEXT) {
    if (missing.length < 3)
      throw new ConfigError(app, ['FALAJ_PLAINTEXT is true and TLS files are set: choose one (unset FALAJ_PLAINTEXT to serve TLS, or the FALAJ_TLS_*_FILE variables to serve plain HTTP)']);
    return { enabled: false };
  }
  if (missing.length > 0) {
    throw new ConfigError(app, [
      `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set: every app serves TLS, from FALAJ_TLS_CERT_FILE, FALAJ_TLS_KEY_FILE and FALAJ_TLS_CA_FILE (bash scripts/dev/ca.sh makes a development CA); set FALAJ_PLAINTEXT=true to serve plain HTTP instead`,
    ]);
  }
  return {
    enabled: true,
    certFile: e.FALAJ_TLS_CERT_FILE!,
    keyFile: e.FALAJ_TLS_KEY_FILE!,
    caFile: e.FALAJ_TLS_CA_FILE!,
    clientAuth: e.FALAJ_TLS_CLIENT_AUTH,
    pollIntervalMs: e.FALAJ_TLS_POLL_INTERVAL_MS,
  };
}
