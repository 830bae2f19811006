import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, before, describe } from 'node:test';
import { openStore } from '../../src/store/registry.js';
import type { FindingStore } from '../../src/store/store.js';

/** The PostgreSQL every test uses: local, trust auth, database `test`. */
export const postgresBaseUrl = process.env.TUNNELWATCH_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Why PostgreSQL tests cannot run here, or false. In CI an unreachable database is a failure, not a skip. */
export async function postgresUnavailable(): Promise<string | false> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: postgresBaseUrl, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return false;
  } catch (error) {
    if (process.env.CI) throw new Error(`PostgreSQL at ${postgresBaseUrl} is unreachable in CI: ${(error as Error).message}`);
    return `PostgreSQL at ${postgresBaseUrl} is unreachable (${(error as Error).message}); CI is not set, so the PostgreSQL half is skipped`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A fresh schema name: parallel test runs never share tables. */
export function uniqueSchema(): string {
  return `tw_test_${process.pid}_${randomBytes(4).toString('hex')}`;
}

export async function dropSchema(schema: string): Promise<void> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: postgresBaseUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

export interface StoreBackend {
  name: 'sqlite' | 'postgres';
  /** skip reason, or false */
  skip: string | false;
  /** a store location of its own (a temporary directory, or a fresh schema) */
  location(): string;
  cleanup(): Promise<void>;
}

/** SQLite in a temporary directory and PostgreSQL in a unique schema: the same suite runs on both. */
export async function storeBackends(): Promise<StoreBackend[]> {
  const dirs: string[] = [];
  const schemas: string[] = [];
  const pgSkip = await postgresUnavailable();
  return [
    {
      name: 'sqlite',
      skip: false,
      location() {
        const dir = mkdtempSync(path.join(tmpdir(), 'tw-store-'));
        dirs.push(dir);
        return dir;
      },
      async cleanup() {
        for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
      },
    },
    {
      name: 'postgres',
      skip: pgSkip,
      location() {
        const schema = uniqueSchema();
        schemas.push(schema);
        return `${postgresBaseUrl}?schema=${schema}`;
      },
      async cleanup() {
        for (const s of schemas.splice(0)) await dropSchema(s);
      },
    },
  ];
}

/** The store a `describeEachStore` body's tests use: opened before them, closed after them. */
export interface OpenedStore {
  readonly store: FindingStore;
}

/**
 * One `describe` per store backend (SQLite, PostgreSQL), each with a store of its own opened
 * before its tests and closed, its data dropped, after them. A backend that cannot run here is
 * skipped with its reason.
 */
export async function describeEachStore(title: string, body: (opened: OpenedStore, backend: StoreBackend) => void): Promise<void> {
  for (const backend of await storeBackends()) {
    describe(`${title} on ${backend.name}`, { skip: backend.skip }, () => {
      let store: FindingStore | undefined;
      const opened: OpenedStore = {
        get store() {
          if (!store) throw new Error(`the ${backend.name} store is not open (used outside a test?)`);
          return store;
        },
      };
      before(async () => {
        store = await openStore(backend.location());
      });
      after(async () => {
        await store?.close();
        await backend.cleanup();
      });
      body(opened, backend);
    });
  }
}
