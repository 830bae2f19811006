import type { FindingRecord } from '../engine/render.js';
import type { RiskEvent, RiskIncident } from '../engine/risk.js';
import { canonicalHost, canonicalUser } from '../engine/entities.js';
import { replaceEvidenceRows } from './evidence-rows.js';
import { entities, findingsWithTriage, multi, whereClause } from './finding-filter-sql.js';
import { migrate } from './migrations.js';
import type { SqlDriver, SqlExecutor } from './sql.js';
import {
  dispositions,
  initialUrgency,
  StoreInputError,
  triageStatuses,
  urgencies,
  type Checkpoint,
  type FindingDetail,
  type FindingFilter,
  type FindingQuery,
  type FindingStore,
  type HistoryEntry,
  type RiskObjectSummary,
  type SortKey,
  type StoreCommit,
  type StoredFinding,
  type FindingUpsert,
  type Triage,
  type TriageChange,
} from './store.js';

const MAX_PAGE = 1000;

const sortColumns: Record<SortKey, string> = {
  last_time: 'last_time',
  first_time: 'first_time',
  urgency: 'urgency_rank',
  count: 'count',
  risk_score: 'risk_score',
  search_name: 'search_name',
  updated_at: 'updated_at',
};

/** what a listed finding is read as (`FindingRow`), from `findingsWithTriage` */
const findingColumns = 'findings.id, revision, record, first_time, last_time, updated_at, status, owner, urgency, disposition';

interface FindingRow {
  id: string;
  revision: number | string;
  record: string;
  first_time: number | null;
  last_time: number | null;
  updated_at: string;
  status: string;
  owner: string | null;
  urgency: string;
  disposition: string | null;
}

/** The store over any `SqlDriver`: one implementation of the contract for every SQL database. */
export class SqlFindingStore implements FindingStore {
  readonly kind: string;
  readonly location: string;

  /** findings written since PostgreSQL's planner statistics were refreshed, and how many were written before that */
  private writtenSinceAnalyze = 0;
  private writtenBeforeAnalyze = 0;

  private constructor(private readonly db: SqlDriver) {
    this.kind = db.dialect;
    this.location = db.location;
  }

  static async open(db: SqlDriver): Promise<SqlFindingStore> {
    await migrate(db);
    return new SqlFindingStore(db);
  }

  async commit(commit: StoreCommit): Promise<void> {
    const now = new Date().toISOString();
    await this.db.transaction(async (tx) => {
      for (const f of commit.findings) await upsertFinding(tx, f, now);
      // a retracted finding keeps its row, and the analysts' triage of it, but no longer adds risk
      for (const id of commit.retracted ?? []) await tx.run('DELETE FROM risk_events WHERE finding_id = ?', [id]);
      for (const e of commit.eventRefs ?? []) {
        await tx.run('INSERT INTO finding_events (finding_id, ref, origin) VALUES (?, ?, ?) ON CONFLICT (finding_id, ref) DO NOTHING', [
          e.findingId,
          e.ref,
          JSON.stringify(e.origin),
        ]);
      }
      for (const { findingId, events } of commit.riskEvents ?? []) {
        await tx.run('DELETE FROM risk_events WHERE finding_id = ?', [findingId]);
        for (const e of events) await insertRiskEvent(tx, e);
      }
      if (commit.incidents) {
        await tx.run('DELETE FROM risk_incidents');
        for (const i of commit.incidents) {
          await tx.run('INSERT INTO risk_incidents (id, risk_object, risk_object_type, record) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING', [
            JSON.stringify([i.risk_object_type, i.risk_object, i.firstTime]),
            i.risk_object,
            i.risk_object_type,
            JSON.stringify(i),
          ]);
        }
      }
      for (const c of commit.incidentChanges ?? []) {
        if (c.status === 'retracted') await tx.run('DELETE FROM risk_incidents WHERE id = ?', [c.id]);
        else {
          await tx.run(
            'INSERT INTO risk_incidents (id, risk_object, risk_object_type, record) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET record = excluded.record',
            [c.id, c.incident.risk_object, c.incident.risk_object_type, JSON.stringify(c.incident)],
          );
        }
      }
      if (commit.checkpoint) {
        const c = commit.checkpoint;
        await tx.run(
          'INSERT INTO checkpoints (consumer, position, state) VALUES (?, ?, ?) ON CONFLICT (consumer) DO UPDATE SET position = excluded.position, state = excluded.state',
          [c.consumer, c.position, c.state],
        );
      }
    });
    await this.refreshStatistics(commit.findings.length);
  }

  /**
   * PostgreSQL plans the findings-triage join from table statistics; autovacuum refreshes them a
   * while after a bulk load, and until then a queue query may start from the wrong table (a second
   * instead of milliseconds). So the store analyses both tables itself whenever the findings it
   * wrote doubled: a few times while a store fills, rarely after.
   */
  private async refreshStatistics(written: number): Promise<void> {
    if (this.db.dialect !== 'postgres') return;
    this.writtenSinceAnalyze += written;
    if (this.writtenSinceAnalyze < Math.max(1000, this.writtenBeforeAnalyze)) return;
    await this.db.run('ANALYZE findings, finding_triage');
    this.writtenBeforeAnalyze += this.writtenSinceAnalyze;
    this.writtenSinceAnalyze = 0;
  }

  async checkpoint(consumer: string): Promise<Checkpoint | undefined> {
    const rows = await this.db.all<{ position: number | string; state: string }>('SELECT position, state FROM checkpoints WHERE consumer = ?', [consumer]);
    return rows[0] ? { consumer, position: Number(rows[0].position), state: rows[0].state } : undefined;
  }

  async findingStates(ids: string[]): Promise<Map<string, string>> {
    const states = new Map<string, string>();
    // a bounded number of parameters per statement (SQLite allows 32766, PostgreSQL 65535)
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rows = await this.db.all<{ id: string; state: string | null }>(`SELECT id, state FROM findings WHERE id IN (${chunk.map(() => '?').join(', ')})`, chunk);
      for (const r of rows) if (r.state !== null) states.set(r.id, r.state);
    }
    return states;
  }

  async listFindings(query: FindingQuery): Promise<{ items: StoredFinding[]; total: number }> {
    const { where, params } = whereClause(query);
    const sort = sortColumns[query.sort ?? 'last_time'];
    if (!sort) throw new StoreInputError(`unknown sort key '${query.sort}'`);
    const direction = query.descending === false ? 'ASC' : 'DESC';
    const limit = clampInt(query.limit ?? 50, 0, MAX_PAGE);
    const offset = clampInt(query.offset ?? 0, 0, Number.MAX_SAFE_INTEGER);
    const rows = await this.db.all<FindingRow>(
      `SELECT ${findingColumns} FROM ${findingsWithTriage} ${where}
       ORDER BY ${sort} ${direction}, findings.id ASC LIMIT ? OFFSET ?`,
      [...params, limit, offset],
    );
    const total = await this.db.all<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${findingsWithTriage} ${where}`, params);
    return { items: rows.map(toStored), total: Number(total[0].n) };
  }

  async getFinding(id: string): Promise<FindingDetail | undefined> {
    const rows = await this.db.all<FindingRow>(
      `SELECT ${findingColumns} FROM ${findingsWithTriage} WHERE finding_triage.id = findings.id AND findings.id = ?`,
      [id],
    );
    if (!rows[0]) return undefined;
    const history = await this.db.all<{ at: string; actor: string; field: string; old_value: string | null; new_value: string | null; comment: string | null }>(
      'SELECT at, actor, field, old_value, new_value, comment FROM finding_history WHERE finding_id = ? ORDER BY id',
      [id],
    );
    const events = await this.db.all<{ ref: string; origin: string }>('SELECT ref, origin FROM finding_events WHERE finding_id = ? ORDER BY ref LIMIT 1000', [id]);
    const risk = await this.db.all<{ record: string }>('SELECT record FROM risk_events WHERE finding_id = ? ORDER BY risk_object_type, risk_object', [id]);
    return {
      ...toStored(rows[0]),
      history: history.map(
        (h): HistoryEntry => ({ at: h.at, actor: h.actor, field: h.field, oldValue: h.old_value, newValue: h.new_value, comment: h.comment }),
      ),
      events: events.map((e) => ({ ref: e.ref, origin: JSON.parse(e.origin) as Record<string, string | number> })),
      riskEvents: risk.map((r) => JSON.parse(r.record) as RiskEvent),
    };
  }

  /**
   * Set-based, so "all matching" costs two statements whatever it matches: one INSERT ... SELECT
   * writes a history row for every (finding, field) whose value changes, reading the values as
   * they are before the change; then one UPDATE applies it. Both run in one transaction.
   */
  async triage(filter: FindingFilter, change: TriageChange, actor: string): Promise<number> {
    validateChange(change);
    const { where, params } = whereClause(filter);
    const at = new Date().toISOString();
    const fields = triageFields.filter((field) => change[field] !== undefined);
    const values = fields.map((field) => change[field] ?? null);
    const comment = change.comment ?? null;
    return this.db.transaction(async (tx) => {
      if (fields.length === 0) {
        return tx.run(
          `INSERT INTO finding_history (finding_id, at, actor, field, old_value, new_value, comment) SELECT findings.id, ?, ?, 'comment', NULL, NULL, ? FROM ${findingsWithTriage} ${where} ORDER BY findings.id`,
          [at, actor, comment, ...params],
        );
      }
      // the changed fields as rows (field, new value, order), joined to every matching finding
      const changed = fields.map((_, i) => `SELECT CAST(? AS TEXT) AS field, CAST(? AS TEXT) AS new_value, ${i} AS ord`).join(' UNION ALL ');
      const oldValue = `CASE change.field ${fields.map((field) => `WHEN '${field}' THEN ${field}`).join(' ')} END`;
      await tx.run(
        `INSERT INTO finding_history (finding_id, at, actor, field, old_value, new_value, comment)
         SELECT findings.id, ?, ?, change.field, ${oldValue}, change.new_value, ? FROM ${findingsWithTriage} CROSS JOIN (${changed}) AS change
         ${where} AND ${oldValue} IS DISTINCT FROM change.new_value ORDER BY findings.id, change.ord`,
        [at, actor, comment, ...fields.flatMap((field, i) => [field, values[i]]), ...params],
      );
      const sets = fields.map((field) => `${field} = ?`);
      if (change.urgency !== undefined) sets.push('urgency_rank = ?');
      const setParams = [...values, ...(change.urgency !== undefined ? [urgencies.indexOf(change.urgency)] : [])];
      // every matching row is updated (unchanged values too), so the count is the matched findings
      return tx.run(`UPDATE finding_triage SET ${sets.join(', ')} WHERE id IN (SELECT findings.id FROM ${findingsWithTriage} ${where})`, [...setParams, ...params]);
    });
  }

  async riskObjects(query: { from?: number; to?: number; limit?: number; offset?: number }): Promise<{ items: RiskObjectSummary[]; total: number }> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    if (query.from !== undefined) conditions.push('time >= ?'), params.push(query.from);
    if (query.to !== undefined) conditions.push('time <= ?'), params.push(query.to);
    const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
    const limit = clampInt(query.limit ?? 50, 0, MAX_PAGE);
    const offset = clampInt(query.offset ?? 0, 0, Number.MAX_SAFE_INTEGER);
    const objects = await this.db.all<{ risk_object: string; risk_object_type: string; score: number | string; n: number | string; first: number | null; last: number | null }>(
      `SELECT risk_object, risk_object_type, SUM(risk_score) AS score, COUNT(*) AS n, MIN(time) AS first, MAX(time) AS last
       FROM risk_events ${where} GROUP BY risk_object, risk_object_type ORDER BY score DESC, risk_object ASC LIMIT ? OFFSET ?`,
      [...params, limit, offset],
    );
    const total = await this.db.all<{ n: number | string }>(
      `SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM risk_events ${where} GROUP BY risk_object, risk_object_type) AS objects`,
      params,
    );
    const incidents = new Set((await this.incidents()).map((i) => `${i.risk_object_type}\u0000${i.risk_object}`));
    const items: RiskObjectSummary[] = [];
    for (const o of objects) {
      const detail = await this.db.all<{ search_name: string; tactics: string }>(
        `SELECT search_name, tactics FROM risk_events WHERE risk_object = ? AND risk_object_type = ? ${conditions.length ? `AND ${conditions.join(' AND ')}` : ''}`,
        [o.risk_object, o.risk_object_type, ...params],
      );
      items.push({
        risk_object: o.risk_object,
        risk_object_type: o.risk_object_type,
        risk_score: Number(o.score),
        risk_event_count: Number(o.n),
        detections: [...new Set(detail.map((d) => d.search_name))].sort(),
        tactics: [...new Set(detail.flatMap((d) => JSON.parse(d.tactics) as string[]))].sort(),
        incident: incidents.has(`${o.risk_object_type}\u0000${o.risk_object}`),
        firstTime: o.first,
        lastTime: o.last,
      });
    }
    return { items, total: Number(total[0].n) };
  }

  async riskEventsOf(riskObject: string, riskObjectType?: string, limit = 500): Promise<RiskEvent[]> {
    const typeClause = riskObjectType === undefined ? '' : 'AND risk_object_type = ?';
    // risk objects are stored as entities (entities.ts): a host or user asked for by any of its spellings finds them
    const spellings = riskObjectType === 'system' ? [canonicalHost(riskObject)] : riskObjectType === 'user' ? [canonicalUser(riskObject)] : [canonicalHost(riskObject), canonicalUser(riskObject)];
    const names = [...new Set([riskObject, ...spellings])];
    const rows = await this.db.all<{ record: string }>(
      `SELECT record FROM risk_events WHERE risk_object IN (${names.map(() => '?').join(', ')}) ${typeClause} ORDER BY time ASC, finding_id ASC LIMIT ?`,
      [...names, ...(riskObjectType === undefined ? [] : [riskObjectType]), clampInt(limit, 0, 10_000)],
    );
    return rows.map((r) => JSON.parse(r.record) as RiskEvent);
  }

  async incidents(): Promise<RiskIncident[]> {
    const rows = await this.db.all<{ record: string }>('SELECT record FROM risk_incidents ORDER BY id');
    return rows.map((r) => JSON.parse(r.record) as RiskIncident);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

async function upsertFinding(tx: SqlExecutor, upsert: FindingUpsert, now: string): Promise<void> {
  const { record, revision, firstTime: first, lastTime: last } = upsert;
  const urgency = initialUrgency(record);
  const text = JSON.stringify(record);
  const changed = await tx.run(
    `INSERT INTO findings (id, revision, detection_id, search_name, first_time, last_time, count, risk_score, hosts, users, stories, techniques,
       record, search_text, created_at, updated_at, state, evidence_count)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET revision = excluded.revision, first_time = excluded.first_time, last_time = excluded.last_time,
       count = excluded.count, evidence_count = excluded.evidence_count, risk_score = excluded.risk_score, hosts = excluded.hosts, users = excluded.users, stories = excluded.stories,
       techniques = excluded.techniques, record = excluded.record, search_text = excluded.search_text, updated_at = excluded.updated_at,
       state = COALESCE(excluded.state, findings.state)
     WHERE findings.revision < excluded.revision`,
    [
      record.finding_id,
      revision,
      record.detection_id,
      record.search_name,
      finiteOrNull(first),
      finiteOrNull(last),
      record.count,
      record.risk_objects.reduce((sum, o) => sum + o.risk_score, 0),
      multi(entities(record, 'system', ['dest', 'dvc', 'src', 'host'])),
      multi(entities(record, 'user', ['user'])),
      multi(record.analytic_story),
      multi(record.mitre_attack_id),
      text,
      text.toLowerCase(),
      now,
      now,
      upsert.state ?? null,
      record.evidence_count ?? 0,
    ],
  );
  // a stale revision changed nothing: its evidence must not replace the newer one's
  if (changed === 0) return;
  await replaceEvidenceRows(tx, record);
  // a new finding starts untriaged; a known one keeps the analysts' triage
  await tx.run(`INSERT INTO finding_triage (id, status, owner, urgency, urgency_rank, disposition) VALUES (?, 'new', NULL, ?, ?, NULL) ON CONFLICT (id) DO NOTHING`, [
    record.finding_id,
    urgency,
    urgencies.indexOf(urgency),
  ]);
}

async function insertRiskEvent(tx: SqlExecutor, e: RiskEvent): Promise<void> {
  await tx.run(
    `INSERT INTO risk_events (finding_id, risk_object, risk_object_type, risk_score, time, search_name, tactics, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (finding_id, risk_object_type, risk_object) DO UPDATE SET risk_score = excluded.risk_score, time = excluded.time, record = excluded.record`,
    [e.finding_id, e.risk_object, e.risk_object_type, e.risk_score, e._time, e.search_name, JSON.stringify(e.annotations.mitre_tactic), JSON.stringify(e)],
  );
}

/** The triage fields a change can set, in the order their history rows are written. */
const triageFields = ['status', 'owner', 'urgency', 'disposition'] as const;

function validateChange(change: TriageChange): void {
  if (change.status !== undefined && !(triageStatuses as readonly string[]).includes(change.status)) throw new StoreInputError(`unknown status '${change.status}'`);
  if (change.urgency !== undefined && !(urgencies as readonly string[]).includes(change.urgency)) throw new StoreInputError(`unknown urgency '${change.urgency}'`);
  if (change.disposition !== undefined && change.disposition !== null && !(dispositions as readonly string[]).includes(change.disposition)) {
    throw new StoreInputError(`unknown disposition '${change.disposition}'`);
  }
  const fields = ['status', 'owner', 'urgency', 'disposition', 'comment'] as const;
  if (!fields.some((f) => change[f] !== undefined)) throw new StoreInputError('a triage change needs at least one of status, owner, urgency, disposition, comment');
}

function toStored(row: FindingRow): StoredFinding {
  return {
    record: JSON.parse(row.record) as FindingRecord,
    revision: Number(row.revision),
    triage: { status: row.status, owner: row.owner, urgency: row.urgency, disposition: row.disposition } as Triage,
    firstTime: row.first_time === null ? null : Number(row.first_time),
    lastTime: row.last_time === null ? null : Number(row.last_time),
    updatedAt: row.updated_at,
  };
}

function finiteOrNull(n: number | null): number | null {
  return n !== null && Number.isFinite(n) ? n : null;
}

function clampInt(n: number, min: number, max: number): number {
  if (!Number.isFinite(n)) throw new StoreInputError(`'${n}' is not a number`);
  return Math.min(max, Math.max(min, Math.trunc(n)));
}
