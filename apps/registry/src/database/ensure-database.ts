import { Client } from 'pg';
import { type DatabaseConnection, onDatabase, pgClientConfig } from './database-connection';

/**
 * Creates the registry's database when the server has none by that name, so a fresh machine
 * needs no manual `createdb` (the registry's role has CREATEDB, nothing more). A database it
 * creates is closed to every other role (`REVOKE ALL ... FROM PUBLIC`): the owner alone connects.
 */
export async function ensureDatabase(connection: DatabaseConnection): Promise<void> {
  const name = connection.database;
  const client = new Client(pgClientConfig(onDatabase(connection, 'postgres')));
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE "${name}"`);
      await client.query(`REVOKE ALL ON DATABASE "${name}" FROM PUBLIC`);
    }
  } catch (error) {
    // Two processes creating it at once: the loser sees a duplicate; the database exists either way.
    if ((error as { code?: string }).code !== '42P04' && (error as { code?: string }).code !== '23505') throw error;
  } finally {
    await client.end();
  }
}
