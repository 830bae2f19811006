import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { SqlDriver } from './sql.js';
import { SqlFindingStore } from './sql-store.js';
import type { FindingStore } from './store.js';

/** The SQLite file inside a data directory. */
export const sqliteFileName = 'findings.sqlite';

interface StoreKind {
  /** does this kind open `location`? */
  accepts(location: string): boolean;
  /** its driver, loaded on demand so that a scan never loads a database library */
  driver(location: string): Promise<SqlDriver>;
}

/** Every store, by name; the first that accepts a location opens it. */
export const stores = {
  postgres: {
    accepts: (location) => /^postgres(ql)?:\/\//i.test(location),
    driver: async (location) => (await import('./postgres.js')).openPostgres(location),
  },
  sqlite: {
    accepts: () => true,
    driver: async (location) => (await import('./sqlite.js')).openSqlite(sqlitePath(location)),
  },
} as const satisfies Record<string, StoreKind>;

/** A SQLite file, or a data directory holding one. */
export function sqlitePath(location: string): string {
  const isDirectory = existsSync(location) ? statSync(location).isDirectory() : !path.extname(location);
  return isDirectory ? path.join(location, sqliteFileName) : location;
}

/** Opens (and migrates) the store at `location`: a postgres:// URL, a SQLite file or a data directory. */
export async function openStore(location: string): Promise<FindingStore> {
  const kind = Object.values(stores).find((s) => s.accepts(location)) as StoreKind;
  return SqlFindingStore.open(await kind.driver(location));
}
