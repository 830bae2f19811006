import { createHash } from 'node:crypto';
import type { AnalyzerPartials } from '../engine/analyzer.js';
import { migrate } from './migrations.js';
import { stores } from './registry.js';
import type { SqlDriver, SqlExecutor } from './sql.js';

/** One bus message's results: what its events added to each finding (and the entities they named). */
export interface MessagePartials {
  id: string;
  source: string;
  events: number;
  partials: AnalyzerPartials;
  /** when the bus stored the message, epoch ms (for the end-to-end lag) */
  storedAt: number;
}

const ROWS_PER_STATEMENT = 200;
const PAGE = 2000;

type Row = [findingKey: string, state: string];

/**
 * The partial states workers write, shared by all of them (PostgreSQL; SQLite works for one
 * machine). Rows are keyed by (finding, message) and a message row marks it done, all in one
 * transaction: a message delivered again (a worker died before its ack) inserts nothing new, so
 * the merge of every row is the merge of every message exactly once.
 */
export class PartialStore {
  private constructor(private readonly db: SqlDriver) {}

  static async open(location: string): Promise<PartialStore> {
    const kind = Object.values(stores).find((s) => s.accepts(location))!;
    const db = await kind.driver(location);
    await migrate(db);
    return new PartialStore(db);
  }

  /** the ids among `ids` whose results are already committed */
  async committed(ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db.all<{ id: string }>(`SELECT id FROM bus_messages WHERE id IN (${ids.map(() => '?').join(',')})`, ids);
    return new Set(rows.map((r) => r.id));
  }

  /**
   * Every message's partial states and done-marks in one transaction (a few statements for the
   * whole batch: the database's CPU is shared by every worker); returns the partial rows it added.
   */
  async commit(messages: MessagePartials[], worker: string): Promise<number> {
    if (messages.length === 0) return 0;
    const now = Date.now();
    const rows = new Map(messages.map((m) => [m.id, rowsOf(m.partials)]));
    return this.db.transaction(async (tx) => {
      const values = messages.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ');
      const params = messages.flatMap((m) => [m.id, m.source, m.events, rows.get(m.id)!.length, m.storedAt, now, worker]);
      // a message another worker committed first is left alone: its rows are the same
      const fresh = await tx.all<{ id: string }>(`INSERT INTO bus_messages (id, source, events, partials, stored_at, committed_at, worker) VALUES ${values} ON CONFLICT (id) DO NOTHING RETURNING id`, params);
      return insertRows(tx, fresh.flatMap(({ id }) => rows.get(id)!.map(([key, state]) => [key, id, state] as const)));
    });
  }

  /** every committed partial state, a page at a time, ready for `Analyzer.merge` (in any order) */
  async *partials(): AsyncGenerator<AnalyzerPartials> {
    let after: [string, string] = ['', ''];
    for (;;) {
      const rows = await this.db.all<{ finding_key: string; message_id: string; state: string }>(
        'SELECT finding_key, message_id, state FROM bus_partials WHERE finding_key > ? OR (finding_key = ? AND message_id > ?) ORDER BY finding_key, message_id LIMIT ?',
        [after[0], after[0], after[1], PAGE],
      );
      if (rows.length === 0) return;
      const out: Required<Omit<AnalyzerPartials, 'origin'>> = { detections: [], correlations: [], agentHosts: [], users: [], caps: [] };
      for (const r of rows) {
        const s = JSON.parse(r.state) as StoredState;
        if ('d' in s) out.detections.push(s.d);
        else if ('c' in s) out.correlations.push(s.c);
        else {
          out.agentHosts.push(...(s.e.agentHosts ?? []));
          out.users.push(...(s.e.users ?? []));
          out.caps.push(...(s.e.caps ?? []));
        }
      }
      yield out;
      const last = rows[rows.length - 1];
      after = [last.finding_key, last.message_id];
    }
  }

  async stats(): Promise<{ messages: number; events: number; partials: number }> {
    const [row] = await this.db.all<{ messages: number | string; events: number | string | null; partials: number | string | null }>('SELECT COUNT(*) AS messages, SUM(events) AS events, SUM(partials) AS partials FROM bus_messages');
    return { messages: Number(row.messages), events: Number(row.events ?? 0), partials: Number(row.partials ?? 0) };
  }

  /**
   * Events committed while every worker was committing (from the last worker's first commit to the
   * first worker's last), and that span in ms: the rate of all of them at once, start-up excluded.
   * With `afterSourcePrefix`, the span starts only once every message from sources under that
   * prefix (a warm-up set published first) is committed: the rate of warm workers.
   */
  async steadyRate({ afterSourcePrefix }: { afterSourcePrefix?: string } = {}): Promise<{ events: number; ms: number }> {
    const [span] = await this.db.all<{ start: number | string | null; end: number | string | null }>(
      'SELECT MAX(first) AS start, MIN(last) AS "end" FROM (SELECT worker, MIN(committed_at) AS first, MAX(committed_at) AS last FROM bus_messages GROUP BY worker) w',
    );
    const [warm] = afterSourcePrefix === undefined ? [] : await this.db.all<{ done: number | string | null }>('SELECT MAX(committed_at) AS done FROM bus_messages WHERE substr(source, 1, ?) = ?', [afterSourcePrefix.length, afterSourcePrefix]);
    const start = Math.max(Number(span.start ?? 0), Number(warm?.done ?? 0));
    const end = Number(span.end ?? 0);
    // the batch committed at `start` was read before it: only what came after counts
    const [row] = await this.db.all<{ events: number | string | null }>('SELECT SUM(events) AS events FROM bus_messages WHERE committed_at > ? AND committed_at <= ?', [start, end]);
    return { events: Number(row.events ?? 0), ms: Math.max(0, end - start) };
  }

  /** publish-to-commit lag of every committed message, ms, ascending */
  async lags(): Promise<number[]> {
    const rows = await this.db.all<{ lag: number | string }>('SELECT committed_at - stored_at AS lag FROM bus_messages ORDER BY lag');
    return rows.map((r) => Number(r.lag));
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

type StoredState = { d: AnalyzerPartials['detections'][number] } | { c: AnalyzerPartials['correlations'][number] } | { e: Pick<AnalyzerPartials, 'agentHosts' | 'users' | 'caps'> };

/** one row per finding group (detection key and window, or correlation key) and one for the entities learnt */
function rowsOf(p: AnalyzerPartials): Row[] {
  const rows: Row[] = [];
  for (const d of p.detections) rows.push([`d:${d.detectionId}:${digest([d.key, d.window ?? null])}`, JSON.stringify({ d })]);
  for (const c of p.correlations) rows.push([`c:${c.correlationId}:${digest(['alt' in c ? c.alt : 'sigma', c.key])}`, JSON.stringify({ c })]);
  // the entities learnt and what the caps refused: folded into the merged run like any partial
  if (p.agentHosts?.length || p.users?.length || p.caps?.length) rows.push(['e:entities', JSON.stringify({ e: { agentHosts: p.agentHosts, users: p.users, caps: p.caps } })]);
  return rows;
}

function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 32);
}

async function insertRows(tx: SqlExecutor, rows: Array<readonly [findingKey: string, messageId: string, state: string]>): Promise<number> {
  let added = 0;
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const part = rows.slice(i, i + ROWS_PER_STATEMENT);
    const values = part.map(() => '(?, ?, ?)').join(', ');
    added += await tx.run(`INSERT INTO bus_partials (finding_key, message_id, state) VALUES ${values} ON CONFLICT (finding_key, message_id) DO NOTHING`, part.flat());
  }
  return added;
}
