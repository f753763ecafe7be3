import { readFileSync } from 'node:fs';
import type { ClientConfig } from 'pg';

/** How the registry reaches Postgres: `verify-full` (TLS, the server's certificate and name checked) or `disable`. */
export type DatabaseSslMode = 'verify-full' | 'disable';

export interface DatabaseSettings {
  url: string;
  /** The role's password (from `FALAJ_DATABASE_PASSWORD_FILE`); never in the URL, so it is never logged with it. */
  password?: string;
  sslMode: DatabaseSslMode;
  /** The CA the server's certificate must chain to; without it, Node's trust store (and NODE_EXTRA_CA_CERTS). */
  caFile?: string;
}

/** The fields of a pg connection, built from the URL's parts rather than passed as a connection string. */
export interface DatabaseConnection {
  host: string;
  port: number;
  database: string;
  user: string;
  password?: string;
  ssl: false | { ca?: string; rejectUnauthorized: true };
}

/**
 * The connection for the registry's role. The URL names host, port, database and role only: a
 * password or an `sslmode` in it is refused (pg lets a connection string override explicit
 * settings, so TLS could be turned off by the URL alone). `verify-full` is libpq's mode of that
 * name: TLS, the chain verified against the CA and the host name against the certificate.
 */
export function databaseConnection(settings: DatabaseSettings): DatabaseConnection {
  const url = new URL(settings.url);
  if (url.password) throw new Error('FALAJ_DATABASE_URL must not carry a password: put it in FALAJ_DATABASE_PASSWORD_FILE');
  if (url.search) throw new Error('FALAJ_DATABASE_URL must not carry parameters: TLS is FALAJ_DATABASE_SSL_MODE and FALAJ_DATABASE_CA_FILE');
  const database = decodeURIComponent(url.pathname.slice(1));
  if (!/^[a-zA-Z_][a-zA-Z0-9_-]*$/.test(database)) throw new Error(`unsupported database name "${database}"`);
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : 5432,
    database,
    user: decodeURIComponent(url.username) || 'postgres',
    ...(settings.password !== undefined ? { password: settings.password } : {}),
    ssl: settings.sslMode === 'disable' ? false : { rejectUnauthorized: true, ...(settings.caFile ? { ca: readFileSync(settings.caFile, 'utf8') } : {}) },
  };
}

/** The same connection to another database of the server (`postgres`, to create the registry's own). */
export function onDatabase(connection: DatabaseConnection, database: string): DatabaseConnection {
  return { ...connection, database };
}

export function pgClientConfig(connection: DatabaseConnection): ClientConfig {
  return { ...connection };
}
