/**
 * What the SQL store needs from a database driver. Statements are written once with `?`
 * placeholders in the SQL both SQLite and PostgreSQL accept (ON CONFLICT ... DO UPDATE,
 * IS DISTINCT FROM, LIKE ... ESCAPE); a driver rewrites placeholders when its database wants `$n`.
 */
export interface SqlExecutor {
  all<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** returns the number of rows changed */
  run(sql: string, params?: unknown[]): Promise<number>;
}

export interface SqlDriver extends SqlExecutor {
  readonly dialect: 'sqlite' | 'postgres';
  readonly location: string;
  /** runs `fn` in one transaction on one connection; nothing else interleaves with it on that connection */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** `?` placeholders as PostgreSQL's `$1, $2, ...` (the store's SQL never has `?` inside literals). */
export function numberedPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** the PostgreSQL advisory lock every tunnelwatch process holds while it creates a schema or its tables */
export const SETUP_LOCK = 0x7475_6e6e; // "tunn"
