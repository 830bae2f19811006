import type { FindingRecord } from '../engine/render.js';
import { evidenceCondition } from './evidence-rows.js';
import { dispositions, StoreInputError, triageStatuses, urgencies, type FindingFilter } from './store.js';

/**
 * How a `FindingFilter` becomes SQL over the `findings` table: the one WHERE clause the list, its
 * count and bulk triage ("all matching") share, and the multivalue columns (hosts, users, stories,
 * techniques) it searches. Values are always bound parameters; LIKE patterns escape their
 * wildcards, so a `%` or `_` typed in a filter is a literal character.
 */

/** Multivalue columns are kept as `|a|b|` so that `LIKE '%|a|%'` finds one exact value. */
const SEP = '|';

/**
 * Findings with their triage state. Triage lives in a narrow table of its own: a bulk change
 * rewrites these short rows, not the findings' wide ones (record JSON and search text), which cost
 * a page write per finding (after a PostgreSQL checkpoint, a full-page image each). Only `id` is
 * in both tables, so the filter qualifies it and every other column name is unambiguous. The join
 * condition is in every `whereClause`. CROSS JOIN makes SQLite read `findings` first, through its
 * time or detection index; started from the triage status index instead, it probes the wide table
 * once per finding. PostgreSQL picks the order from its statistics (the store keeps them fresh).
 */
export const findingsWithTriage = 'findings CROSS JOIN finding_triage';

/**
 * Schema step 4: triage moves from `findings` to `finding_triage` (rows copied, columns dropped),
 * and `search_name` gets the index the detection filter's `... OR search_name IN (...)` needs.
 */
export const triageSchema = [
  `CREATE TABLE finding_triage (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL DEFAULT 'new',
    owner TEXT,
    urgency TEXT NOT NULL,
    urgency_rank BIGINT NOT NULL,
    disposition TEXT
  )`,
  'INSERT INTO finding_triage (id, status, owner, urgency, urgency_rank, disposition) SELECT id, status, owner, urgency, urgency_rank, disposition FROM findings',
  'DROP INDEX findings_status_urgency',
  ...['status', 'owner', 'urgency', 'urgency_rank', 'disposition'].map((column) => `ALTER TABLE findings DROP COLUMN ${column}`),
  'CREATE INDEX finding_triage_status_urgency ON finding_triage (status, urgency_rank)',
  'CREATE INDEX findings_search_name ON findings (search_name)',
];

/** Hosts (or users) a finding is about: its risk objects of that type plus the usual CIM columns. */
export function entities(record: FindingRecord, riskType: string, columns: string[]): string[] {
  const values = new Set<string>();
  for (const o of record.risk_objects) if (o.risk_object_type === riskType) values.add(o.risk_object);
  for (const c of columns) {
    const v = record[c];
    if (typeof v === 'string') values.add(v);
    else if (Array.isArray(v)) for (const x of v) if (typeof x === 'string') values.add(x);
  }
  values.delete('null');
  return [...values];
}

/** A multivalue column: lower-cased values between separators (a separator inside a value becomes a space). */
export function multi(values: string[]): string {
  return values.length === 0 ? '' : `${SEP}${values.map((v) => v.toLowerCase().replaceAll(SEP, ' ')).join(SEP)}${SEP}`;
}

function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The WHERE clause over `findingsWithTriage` (it joins the two tables) and its parameters, in order. */
export function whereClause(filter: FindingFilter): { where: string; params: unknown[] } {
  const conditions: string[] = ['finding_triage.id = findings.id'];
  const params: unknown[] = [];
  const oneOf = (column: string, values: unknown[]) => {
    if (values.length === 0) return conditions.push('1 = 0');
    conditions.push(`${column} IN (${values.map(() => '?').join(', ')})`);
    params.push(...values);
  };
  const contains = (column: string, value: string) => {
    conditions.push(`${column} LIKE ? ESCAPE '\\'`);
    params.push(`%${likeEscape(value.toLowerCase())}%`);
  };
  if (filter.ids) oneOf('findings.id', filter.ids);
  if (filter.detection) {
    if (filter.detection.length === 0) conditions.push('1 = 0');
    else {
      conditions.push(`(detection_id IN (${filter.detection.map(() => '?').join(', ')}) OR search_name IN (${filter.detection.map(() => '?').join(', ')}))`);
      params.push(...filter.detection, ...filter.detection);
    }
  }
  if (filter.story) contains('stories', `${SEP}${filter.story}${SEP}`);
  if (filter.technique) {
    // T1090 matches T1090 and its sub-techniques T1090.xxx
    conditions.push(`(techniques LIKE ? ESCAPE '\\' OR techniques LIKE ? ESCAPE '\\')`);
    const t = likeEscape(filter.technique.toLowerCase());
    params.push(`%${SEP}${t}${SEP}%`, `%${SEP}${t}.%`);
  }
  if (filter.host) contains('hosts', `${SEP}${filter.host}${SEP}`);
  if (filter.user) contains('users', `${SEP}${filter.user}${SEP}`);
  if (filter.status) {
    for (const s of filter.status) if (!(triageStatuses as readonly string[]).includes(s)) throw new StoreInputError(`unknown status '${s}'`);
    oneOf('status', filter.status);
  }
  if (filter.owner !== undefined) {
    if (filter.owner === null) conditions.push('owner IS NULL');
    else conditions.push('owner = ?'), params.push(filter.owner);
  }
  if (filter.urgency) {
    for (const u of filter.urgency) if (!(urgencies as readonly string[]).includes(u)) throw new StoreInputError(`unknown urgency '${u}'`);
    oneOf('urgency', filter.urgency);
  }
  if (filter.disposition) {
    const named = filter.disposition.filter((d): d is NonNullable<typeof d> => d !== null);
    for (const d of named) if (!(dispositions as readonly string[]).includes(d)) throw new StoreInputError(`unknown disposition '${d}'`);
    const parts = [...(named.length ? [`disposition IN (${named.map(() => '?').join(', ')})`] : []), ...(filter.disposition.includes(null) ? ['disposition IS NULL'] : [])];
    conditions.push(parts.length ? `(${parts.join(' OR ')})` : '1 = 0');
    params.push(...named);
  }
  if (filter.from !== undefined) conditions.push('last_time >= ?'), params.push(filter.from);
  if (filter.to !== undefined) conditions.push('last_time <= ?'), params.push(filter.to);
  if (filter.text) contains('search_text', filter.text);
  if (filter.evidence) {
    const { sql, params: values } = evidenceCondition(filter.evidence);
    conditions.push(sql);
    params.push(...values);
  }
  return { where: `WHERE ${conditions.join(' AND ')}`, params };
}
