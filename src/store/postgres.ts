import type { Pool, PoolClient } from 'pg';
import { numberedPlaceholders, SETUP_LOCK, type SqlDriver, type SqlExecutor } from './sql.js';

/**
 * PostgreSQL through `pg` (loaded here only, by dynamic import). A `schema` query parameter in the
 * URL (`postgres://host/db?schema=tw`) puts every table in that schema (created when missing), so
 * several stores, or parallel test runs, share one database without colliding.
 */
export async function openPostgres(url: string): Promise<SqlDriver> {
  const pg = (await import('pg')).default;
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema') ?? undefined;
  parsed.searchParams.delete('schema');
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`schema '${schema}' must be a lower-case SQL identifier`);
  const pool: Pool = new pg.Pool({
    connectionString: parsed.toString(),
    max: 4,
    ...(schema && { options: `-c search_path=${schema}` }),
  });
  // an idle client's error (server restart) must not kill the process: the next query reconnects
  pool.on('error', () => undefined);
  if (schema) await createSchema(pool, schema);
  const on = (client: Pool | PoolClient): SqlExecutor => ({
    async all<T>(sql: string, params: unknown[] = []) {
      return (await client.query(numberedPlaceholders(sql), params.map(textSafe))).rows as T[];
    },
    async run(sql: string, params: unknown[] = []) {
      return (await client.query(numberedPlaceholders(sql), params.map(textSafe))).rowCount ?? 0;
    },
  });
  const direct = on(pool);
  parsed.password = parsed.password ? '***' : '';
  return {
    dialect: 'postgres',
    location: `${parsed.toString()}${schema ? ` (schema ${schema})` : ''}`,
    all: direct.all,
    run: direct.run,
    transaction: (fn) => inTransaction(pool, (client) => fn(on(client))),
    close: () => pool.end(),
  };
}

/**
 * `CREATE SCHEMA IF NOT EXISTS` is not safe against itself: two processes creating the same schema
 * at once (two workers started together on a fresh store) can both pass the "not exists" check, and
 * one fails on pg_namespace's unique index. A transaction-scoped advisory lock serialises them.
 */
async function createSchema(pool: Pool, schema: string): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [SETUP_LOCK]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  });
}

/** `fn` on one pooled connection inside BEGIN ... COMMIT, rolled back when it throws */
async function inTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** PostgreSQL text cannot hold U+0000 (log values can): it is stored as U+FFFD. JSON columns are unaffected (JSON escapes it). */
function textSafe(value: unknown): unknown {
  return typeof value === 'string' && value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value;
}
