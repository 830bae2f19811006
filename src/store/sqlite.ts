import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { SqlDriver, SqlExecutor } from './sql.js';

/**
 * SQLite through better-sqlite3 (an optional, native dependency: loaded only here, by dynamic
 * import, so `scan` never needs it). WAL journal with synchronous=FULL: a committed transaction
 * survives kill -9 and power loss. better-sqlite3 is synchronous; a promise chain keeps one
 * transaction's statements from interleaving with another caller's on the single connection.
 */
export async function openSqlite(file: string): Promise<SqlDriver> {
  let Database: typeof BetterSqlite3;
  try {
    Database = (await import('better-sqlite3')).default;
  } catch (error) {
    throw new Error(`the SQLite store needs the optional dependency better-sqlite3, which is not installed or did not build (${(error as Error).message}); use --store postgres://...`);
  }
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  const statements = new Map<string, BetterSqlite3.Statement>();
  const prepared = (sql: string) => {
    let s = statements.get(sql);
    if (!s) statements.set(sql, (s = db.prepare(sql)));
    return s;
  };
  const executor: SqlExecutor = {
    async all<T>(sql: string, params: unknown[] = []) {
      return prepared(sql).all(...params.map(bindable)) as T[];
    },
    async run(sql: string, params: unknown[] = []) {
      const s = prepared(sql);
      if (!s.reader) return s.run(...params.map(bindable)).changes;
      s.all(...params.map(bindable));
      return 0;
    },
  };
  let queue: Promise<unknown> = Promise.resolve();
  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };
  return {
    dialect: 'sqlite',
    location: file,
    all: (sql, params) => serialized(() => executor.all(sql, params)),
    run: (sql, params) => serialized(() => executor.run(sql, params)),
    transaction: (fn) =>
      serialized(async () => {
        db.exec('BEGIN IMMEDIATE');
        try {
          const result = await fn(executor);
          db.exec('COMMIT');
          return result;
        } catch (error) {
          db.exec('ROLLBACK');
          throw error;
        }
      }),
    close: () =>
      serialized(async () => {
        db.close();
      }),
  };
}

/** better-sqlite3 binds numbers, strings, bigints, buffers and null; booleans become 0/1. */
function bindable(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}
