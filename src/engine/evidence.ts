import type { CimEvent } from '../cim/model.js';
import { families } from '../families/registry.js';

/**
 * Evidence: where the events behind a finding came from, so an analyst can go from a finding back
 * to the records (`tunnelwatch dump --record/--line`). A finding keeps the first `cap` of its
 * contributing events in one total order (time, then place), so any split of the events over
 * files, threads or machines merges to the same list as one pass; the total is its count.
 */
export interface Evidence {
  /** the file as given, or the ingest channel of a stream */
  source: string;
  /** EVTX EventRecordID (and the EventRecordID a text rendering of Windows events carries) */
  record?: number;
  /** 1-based line in a text file */
  line?: number;
  /** byte offset of the record in the (decompressed) input */
  offset?: number;
  /** event time, epoch seconds; absent when the event has none */
  time?: number;
  /** EventID, or CrowdStrike's event_simpleName */
  event_code?: string;
  channel?: string;
  /** a correlation's step this event matched */
  step?: string;
  /**
   * Set while `line` counts from the first line of the piece of the file starting at this byte
   * offset (a thread read that piece alone); the batch turns it into the file's line number.
   */
  piece?: number;
}

/** Contributing events kept per finding (per step of a correlation) unless a run says otherwise. */
export const DEFAULT_EVIDENCE_CAP = 10;

/** The evidence of one event: its place, and the envelope fields of the raw record it came from. */
export function evidenceOf(event: CimEvent): Evidence {
  const { file, line, offset, piece } = event.location;
  const e: Evidence = { source: file };
  const raw = event.raw;
  const record = raw?.system.EventRecordID;
  if (record !== undefined && /^\d{1,15}$/.test(record)) e.record = Number(record);
  if (line !== undefined) e.line = line;
  if (offset !== undefined) e.offset = offset;
  if (Number.isFinite(event.time)) e.time = event.time;
  const code = raw === undefined ? undefined : families.normalizer.eventCode(raw);
  if (code) e.event_code = code;
  const channel = raw?.system.Channel;
  if (channel) e.channel = channel;
  if (piece !== undefined && line !== undefined) e.piece = piece;
  return e;
}

/**
 * Total order: by time (untimed last), then by where the record sits. Byte offsets are
 * file-absolute even in a piece read by a thread, so the order never depends on how a file was cut.
 */
export function compareEvidence(a: Evidence, b: Evidence): number {
  return (
    compareNumber(a.time, b.time) ||
    compareText(a.source, b.source) ||
    compareNumber(a.offset, b.offset) ||
    compareNumber(a.record, b.record) ||
    compareNumber(a.line, b.line) ||
    compareText(a.event_code ?? '', b.event_code ?? '') ||
    compareText(a.channel ?? '', b.channel ?? '') ||
    compareText(a.step ?? '', b.step ?? '')
  );
}

/** Inserts `e` into the sorted, capped `list` (in place); a later event than the last kept is not kept. */
export function addEvidence(list: Evidence[], e: Evidence, cap: number): void {
  if (cap <= 0) return;
  if (list.length >= cap && compareEvidence(e, list[list.length - 1]) >= 0) return;
  let i = list.length;
  while (i > 0 && compareEvidence(e, list[i - 1]) < 0) i--;
  list.splice(i, 0, e);
  if (list.length > cap) list.length = cap;
}

/** The first `cap` of both sorted lists: what one pass over both lists' events would have kept. */
export function mergeEvidence(a: Evidence[], b: Evidence[], cap: number): Evidence[] {
  const out: Evidence[] = [];
  let i = 0;
  let j = 0;
  while (out.length < cap && (i < a.length || j < b.length)) {
    if (j >= b.length || (i < a.length && compareEvidence(a[i], b[j]) <= 0)) out.push(a[i++]);
    else out.push(b[j++]);
  }
  return out;
}

/** Evidence as outputs write it: the time as ISO-8601 UTC. */
export interface EvidenceRecord extends Omit<Evidence, 'time' | 'piece'> {
  time?: string;
}

/** in the documented key order: source, record, line, offset, time, event_code, channel, step */
export function renderEvidence(e: Evidence): EvidenceRecord {
  const out: EvidenceRecord = { source: e.source };
  if (e.record !== undefined) out.record = e.record;
  if (e.line !== undefined) out.line = e.line;
  if (e.offset !== undefined) out.offset = e.offset;
  if (e.time !== undefined) out.time = new Date(e.time * 1000).toISOString();
  if (e.event_code !== undefined) out.event_code = e.event_code;
  if (e.channel !== undefined) out.channel = e.channel;
  if (e.step !== undefined) out.step = e.step;
  return out;
}

/** `file:line` (text), `file#record` (EVTX) or `file@offset`: short enough for a table, exact enough for `dump`. */
export function evidencePlace(e: Pick<Evidence, 'source' | 'record' | 'line' | 'offset'>): string {
  if (e.line !== undefined) return `${e.source}:${e.line}`;
  if (e.record !== undefined) return `${e.source}#${e.record}`;
  return e.offset !== undefined ? `${e.source}@${e.offset}` : e.source;
}

/** One line per evidence item: place, event code, channel and time. */
export function evidenceText(e: EvidenceRecord): string {
  const parts = [evidencePlace(e)];
  if (e.step) parts.push(`step ${e.step}`);
  if (e.event_code) parts.push(`event ${e.event_code}`);
  if (e.channel) parts.push(e.channel);
  if (e.time) parts.push(e.time);
  return parts.join(' ');
}

function compareNumber(a: number | undefined, b: number | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  return a < b ? -1 : 1;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
