import type { EvidenceRecord } from '../engine/evidence.js';
import type { FindingRecord } from '../engine/render.js';
import type { SqlExecutor } from './sql.js';

/**
 * A finding's evidence as rows of `finding_evidence` (one per contributing event kept), so a pivot
 * from a file, record or line to its findings is one indexed query. The record's JSON keeps the
 * same list for readers of a finding; these rows are replaced whenever the finding is.
 */
export async function replaceEvidenceRows(tx: SqlExecutor, record: FindingRecord): Promise<void> {
  await tx.run('DELETE FROM finding_evidence WHERE finding_id = ?', [record.finding_id]);
  const evidence: EvidenceRecord[] = record.evidence ?? [];
  for (const [seq, e] of evidence.entries()) {
    await tx.run(
      `INSERT INTO finding_evidence (finding_id, seq, source, record, line, byte_offset, time, event_code, channel, step) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [record.finding_id, seq, e.source, e.record ?? null, e.line ?? null, e.offset ?? null, e.time ?? null, e.event_code ?? null, e.channel ?? null, e.step ?? null],
    );
  }
}

/** Findings whose kept evidence names this source (and record or line): a SQL condition on `findings.id`. */
export function evidenceCondition(pivot: { source: string; record?: number; line?: number }): { sql: string; params: unknown[] } {
  const parts = ['source = ?'];
  const params: unknown[] = [pivot.source];
  if (pivot.record !== undefined) parts.push('record = ?'), params.push(pivot.record);
  if (pivot.line !== undefined) parts.push('line = ?'), params.push(pivot.line);
  return { sql: `findings.id IN (SELECT finding_id FROM finding_evidence WHERE ${parts.join(' AND ')})`, params };
}

/** Schema step 2: the evidence table and each finding's total of contributing events. */
export const evidenceSchema = [
  'ALTER TABLE findings ADD COLUMN evidence_count BIGINT NOT NULL DEFAULT 0',
  `CREATE TABLE finding_evidence (
    finding_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    source TEXT NOT NULL,
    record BIGINT,
    line BIGINT,
    byte_offset BIGINT,
    time TEXT,
    event_code TEXT,
    channel TEXT,
    step TEXT,
    PRIMARY KEY (finding_id, seq)
  )`,
  'CREATE INDEX finding_evidence_source ON finding_evidence (source, record, line)',
];
