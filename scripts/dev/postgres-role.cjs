// A login role for one app in the machine's Postgres, made by the operator (the superuser the
// machine trusts locally): LOGIN and CREATEDB (the registry creates its own database), nothing
// more, and a member of `falaj_service`, which scripts/infra.sh's pg_hba lines let in only over
// TLS with a SCRAM password. The password leaves here only as a SCRAM-SHA-256 verifier, so no
// statement Postgres might log (a failing CREATE ROLE is logged whole) holds it.
//
//   node scripts/dev/postgres-role.cjs <role> <password-file> [<database>]   (npm start; admin URL in FALAJ_POSTGRES_ADMIN_URL;
//     a database named is handed to the role, for one an earlier version made as the superuser)
//   require('scripts/dev/postgres-role.cjs').ensureServiceRole(client, role, password)   (the test harness)
'use strict';
const { createHash, createHmac, pbkdf2Sync, randomBytes } = require('node:crypto');

const SERVICE_GROUP = 'falaj_service';
const ITERATIONS = 4096;

/** RFC 5802 / RFC 7677 verifier in Postgres' stored form: SCRAM-SHA-256$<i>:<salt>$<StoredKey>:<ServerKey>. */
function scramVerifier(password, salt = randomBytes(16)) {
  const salted = pbkdf2Sync(password, salt, ITERATIONS, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${ITERATIONS}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** Creates the role, or resets its password and rights if it exists. */
async function ensureServiceRole(client, role, password) {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(role)) throw new Error(`not a role name: ${role}`);
  const verifier = client.escapeLiteral(scramVerifier(password));
  await client.query(`DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${SERVICE_GROUP}') THEN CREATE ROLE ${SERVICE_GROUP} NOLOGIN; END IF; END $$`);
  const exists = (await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).rowCount > 0;
  const rights = 'LOGIN CREATEDB NOSUPERUSER NOCREATEROLE NOREPLICATION NOBYPASSRLS';
  await client.query(exists ? `ALTER ROLE "${role}" ${rights} PASSWORD ${verifier}` : `CREATE ROLE "${role}" ${rights} PASSWORD ${verifier} IN ROLE ${SERVICE_GROUP}`);
  if (exists) await client.query(`GRANT ${SERVICE_GROUP} TO "${role}"`);
}

/**
 * Hands an existing database (one an earlier version made as the superuser) to the role: the
 * database, its public schema and every table, sequence and view in it; and closes it to others.
 */
async function handOver(adminUrl, database, role) {
  const { Client } = require('pg');
  const onServer = new Client({ connectionString: adminUrl });
  await onServer.connect();
  try {
    if ((await onServer.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])).rowCount === 0) return;
    await onServer.query(`ALTER DATABASE "${database}" OWNER TO "${role}"`);
    await onServer.query(`REVOKE ALL ON DATABASE "${database}" FROM PUBLIC`);
  } finally {
    await onServer.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  const onDatabase = new Client({ connectionString: url.toString() });
  await onDatabase.connect();
  try {
    await onDatabase.query(`ALTER SCHEMA public OWNER TO "${role}"`);
    const owned = await onDatabase.query(
      `SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'S', 'v', 'm') AND pg_get_userbyid(c.relowner) <> $1
          -- a serial column's sequence follows its table
          AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i'))`,
      [role],
    );
    const kind = { r: 'TABLE', p: 'TABLE', S: 'SEQUENCE', v: 'VIEW', m: 'MATERIALIZED VIEW' };
    for (const { relname, relkind } of owned.rows) await onDatabase.query(`ALTER ${kind[relkind]} public."${relname}" OWNER TO "${role}"`);
  } finally {
    await onDatabase.end();
  }
}

module.exports = { ensureServiceRole, scramVerifier, SERVICE_GROUP };

if (require.main === module) {
  const [role, passwordFile, database] = process.argv.slice(2);
  if (!role || !passwordFile) {
    console.error('usage: postgres-role.cjs <role> <password-file> [<database it owns>]');
    process.exit(2);
  }
  const { Client } = require('pg');
  const password = require('node:fs').readFileSync(passwordFile, 'utf8').trim();
  const adminUrl = process.env.FALAJ_POSTGRES_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const client = new Client({ connectionString: adminUrl });
  client
    .connect()
    .then(() => ensureServiceRole(client, role, password))
    .then(() => client.end())
    .then(() => database && handOver(adminUrl, database, role))
    .catch((error) => {
      console.error(`postgres-role: ${error.message}`);
      process.exit(1);
    });
}
