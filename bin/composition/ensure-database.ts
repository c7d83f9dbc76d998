import pg from 'pg';
import { ConfigError } from '../../infra/config/load-config.js';

const FIRST_CONTACT_TIMEOUT_MS = 10_000;

/** Creates the configured database on first start, so the services profile needs no manual step. */
export async function ensureDatabaseExists(connectionString: string, firstContactTimeoutMs = FIRST_CONTACT_TIMEOUT_MS): Promise<void> {
  const target = new URL(connectionString);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!name) return;
  const maintenance = new URL(connectionString);
  maintenance.pathname = '/postgres';
  // The first contact of every services-profile command: a server that takes the connection and never answers must not hang it.
  const client = new pg.Client({ connectionString: maintenance.toString(), connectionTimeoutMillis: firstContactTimeoutMs });
  await client.connect().catch((error: unknown) => {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError([`TESSERA_DATABASE_URL: PostgreSQL at ${target.host} could not be reached: ${reason}`]);
  });
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (rowCount === 0) {
      await client.query(`create database "${name.replaceAll('"', '""')}"`).catch((error: { code?: string }) => {
        // Another process created it first.
        if (error.code !== '42P04') throw error;
      });
    }
  } finally {
    await client.end();
  }
}
