import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, type ClientConfig } from 'pg';
import { BACKBONE_CA_FILE, FalajSuite, eventually, repoRoot } from '@falaj/testing';

/**
 * The registry reaches Postgres as a role of its own — no superuser, TLS with the server's
 * certificate verified, a SCRAM password — and holds a database no other role may enter. The
 * other apps have no database settings at all. Real Postgres, with the TLS and pg_hba lines
 * scripts/infra.sh gives it.
 */
describe('Postgres: a role per app, TLS verified (e2e)', () => {
  const suite = new FalajSuite();
  const ca = readFileSync(BACKBONE_CA_FILE, 'utf8');
  const asRegistry = (overrides: Partial<ClientConfig> = {}): ClientConfig => ({
    host: '127.0.0.1',
    port: 5432,
    user: suite.databaseRole,
    password: suite.databaseRolePassword,
    database: suite.database,
    ssl: { ca, rejectUnauthorized: true },
    ...overrides,
  });
  const connects = async (config: ClientConfig): Promise<string> => {
    const client = new Client(config);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return 'connected';
    } catch (error) {
      return (error as Error).message;
    } finally {
      await client.end().catch(() => undefined);
    }
  };

  beforeAll(() => suite.start({ gpuWorker: true }), 180_000);
  afterAll(() => suite.stop(), 60_000);

  it('the running registry is connected as its own role, every session over TLS', async () => {
    const sessions = await eventually('a registry session', async () => {
      const rows = await suite.query<{ ssl: boolean; usesuper: boolean }>(
        `SELECT s.ssl, r.rolsuper AS usesuper FROM pg_stat_activity a JOIN pg_stat_ssl s ON s.pid = a.pid JOIN pg_roles r ON r.rolname = a.usename
          WHERE a.datname = $1 AND a.usename = $2`,
        [suite.database, suite.databaseRole],
      );
      return rows.length > 0 ? rows : undefined;
    });
    expect(sessions.every((s) => s.ssl && !s.usesuper)).toBe(true);
    const [owner] = await suite.query<{ owner: string }>(`SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1`, [suite.database]);
    expect(owner.owner).toBe(suite.databaseRole);
  });

  it('refuses the role without TLS, with a wrong password, and a server certificate from another CA', async () => {
    expect(await connects(asRegistry())).toBe('connected');
    expect(await connects(asRegistry({ ssl: false }))).toMatch(/pg_hba\.conf rejects connection|no encryption/);
    expect(await connects(asRegistry({ password: 'x'.repeat(43) }))).toMatch(/password authentication failed/);
    const foreign = mkdtempSync(join(tmpdir(), 'falaj-foreign-ca-'));
    execFileSync('bash', [join(repoRoot(), 'scripts/dev/ca.sh'), foreign]);
    const foreignCa = readFileSync(join(foreign, 'ca.crt'), 'utf8');
    rmSync(foreign, { recursive: true, force: true });
    expect(await connects(asRegistry({ ssl: { ca: foreignCa, rejectUnauthorized: true } }))).toMatch(/self-signed certificate|unable to (get|verify)/);
  });

  it('the role may not act as the operator: no roles, no other database, no server files', async () => {
    const client = new Client(asRegistry());
    await client.connect();
    try {
      await expect(client.query(`CREATE ROLE intruder LOGIN`)).rejects.toThrow(/permission denied/);
      await expect(client.query(`ALTER ROLE "${suite.databaseRole}" SUPERUSER`)).rejects.toThrow(/permission denied|must be superuser/);
      await expect(client.query(`SELECT pg_read_file('postgresql.conf')`)).rejects.toThrow(/permission denied/);
      await expect(client.query(`SELECT rolpassword FROM pg_authid`)).rejects.toThrow(/permission denied/);
    } finally {
      await client.end();
    }
    // Another run's registry database: closed to every role but its owner (REVOKE ... FROM PUBLIC).
    const other = { database: `falaj_e2e_other_${randomBytes(4).toString('hex')}` };
    const admin = new Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE "${other.database}"`);
      await admin.query(`REVOKE ALL ON DATABASE "${other.database}" FROM PUBLIC`);
      expect(await connects(asRegistry({ database: other.database }))).toMatch(/permission denied for database/);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS "${other.database}"`);
      await admin.end();
    }
  });

  it('only the registry is given a database', () => {
    for (const name of ['gateway', 'router', 'cpu-worker', 'gpu-worker']) {
      const env = suite.app(name).env;
      expect(Object.keys(env).filter((k) => k.startsWith('FALAJ_DATABASE'))).toEqual([]);
    }
  });
});
