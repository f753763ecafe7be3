/** Whether a listener asks its callers for a client certificate (mTLS), and what it does without one. */
export type ClientAuth = 'none' | 'optional' | 'require';
export const CLIENT_AUTH_MODES = ['none', 'optional', 'require'] as const;

/** Where an app's certificate, key and trusted CA are on disk (PEM), as the operator mounts them. */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** The CA (or bundle) that every peer's certificate must chain to: servers it calls, clients that call it. */
  caFile: string;
}

/**
 * How an app speaks HTTP: TLS from files (the default, and the only choice unless plain HTTP is
 * asked for by name), or plain HTTP.
 */
export type TlsSettings =
  | { enabled: false }
  | (TlsFiles & {
      enabled: true;
      /** The HTTP listener's client-certificate mode. */
      clientAuth: ClientAuth;
      /** How often the files are polled for a change, besides fs.watch (which misses some mounts). */
      pollIntervalMs: number;
    });
