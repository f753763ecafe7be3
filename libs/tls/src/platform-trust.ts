import { Agent as HttpsAgent } from 'node:https';
import { Agent, setGlobalDispatcher, type Dispatcher } from 'undici';
import { CertificateWatcher } from './certificate-watcher';
import { TLS_CIPHERS, TLS_MIN_VERSION } from './server-tls';
import type { TlsMaterial } from './tls-material';
import type { TlsSettings } from './tls-settings';

/** An idle connection of a replaced dispatcher is closed once its requests end; this bounds the wait. */
const RETIRE_AFTER_MS = 30_000;

let httpsAgent: HttpsAgent | undefined;

/**
 * How an app calls the others (the registry proxy, artifact downloads, the token source, the
 * built-in issuer's discovery and keys): HTTPS verified against the configured CA only (a server
 * whose certificate another CA issued is refused, public CAs included), presenting the app's own
 * certificate (mTLS). Installed as undici's global dispatcher, which both `fetch` and undici's
 * `request` use, and renewed on every rotation. A no-op with TLS off.
 */
export function usePlatformTrust(settings: TlsSettings): void {
  if (!settings.enabled) return;
  const watcher = CertificateWatcher.of(settings, settings.pollIntervalMs);
  let dispatcher = platformDispatcher(watcher.current);
  setGlobalDispatcher(dispatcher);
  httpsAgent = new HttpsAgent({ keepAlive: true, ...clientTlsOptions(watcher.current) });
  watcher.onChange((material) => {
    const retired = dispatcher;
    dispatcher = platformDispatcher(material);
    setGlobalDispatcher(dispatcher);
    setTimeout(() => void retired.close().catch(() => undefined), 0).unref();
    setTimeout(() => void retired.destroy().catch(() => undefined), RETIRE_AFTER_MS).unref();
    // node's https.Agent reads its options on every new connection.
    Object.assign(httpsAgent!.options, clientTlsOptions(material));
  });
}

/** For clients on node's https module (jose's key-set fetch): the same trust; undefined with TLS off. */
export function platformHttpsAgent(): HttpsAgent | undefined {
  return httpsAgent;
}

/**
 * Servers outside the platform (an enterprise IdP with a public certificate) are verified against
 * the system's CAs, not the platform's: for fetches that name it as their dispatcher.
 */
export const systemTrustDispatcher: Dispatcher = new Agent();

function platformDispatcher(material: TlsMaterial): Agent {
  return new Agent({ connect: clientTlsOptions(material) });
}

function clientTlsOptions(material: TlsMaterial) {
  return { ca: material.ca, cert: material.cert, key: material.key, minVersion: TLS_MIN_VERSION, ciphers: TLS_CIPHERS, rejectUnauthorized: true };
}
