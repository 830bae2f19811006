import type { FastifyInstance } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import type { FieldValue } from '../cim/model.js';
import { compilePredicate } from '../engine/predicate.js';
import type { FindingRecord } from '../engine/render.js';
import { writeFileAtomically } from '../pipeline/atomic-file.js';
import type { Detection } from '../rules/detection.js';
import { outputColumns } from '../rules/plan-fields.js';
import { parseTuning } from '../rules/tuning.js';
import type { FindingStore } from '../store/store.js';

/**
 * "Tune from a finding": draft the detection's filter-macro entry from a finding (NOT its BY
 * values), preview how many stored findings of that detection it would suppress, then save it to
 * the tuning file (merged with an entry already there) and note it in the finding's history.
 */
export interface TuningApiOptions {
  store: FindingStore;
  detections: readonly Detection[];
  /** where saved entries go (serve's --tuning file, or DATA/tuning.yml) */
  file: string;
}

export class TuningInputError extends Error {}

/** the cap on findings a preview reads (a detection with more is previewed over its newest ones) */
const PREVIEW_LIMIT = 200_000;

export function registerTuning(app: FastifyInstance, options: TuningApiOptions, actorOf: (request: unknown) => string): void {
  const context = async (body: unknown) => {
    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    if (typeof b.finding_id !== 'string') throw new TuningInputError('finding_id is required');
    const found = await options.store.getFinding(b.finding_id);
    if (!found) throw new TuningInputError(`no finding '${b.finding_id}'`);
    const detection = options.detections.find((d) => (d.ruleId ?? d.id) === found.record.detection_id);
    const macro = detection?.output.filterMacro;
    if (!detection || !macro) throw new TuningInputError(`'${found.record.search_name}' has no filter macro to tune`);
    if (b.spl !== undefined && (typeof b.spl !== 'string' || b.spl.length > 10_000)) throw new TuningInputError('spl must be text of at most 10000 characters');
    const spl = (b.spl as string | undefined) ?? draftFilter(detection, found.record);
    return { detection, macro, spl, record: found.record };
  };

  app.post('/api/tuning/preview', async (request, reply) => {
    try {
      const { detection, macro, spl } = await context(request.body);
      return { macro, spl, file: options.file, ...(await preview(options.store, detection, macro, spl)) };
    } catch (error) {
      if (error instanceof TuningInputError) return reply.code(400).send({ error: error.message });
      throw error;
    }
  });

  app.post('/api/tuning', async (request, reply) => {
    try {
      const { detection, macro, spl, record } = await context(request.body);
      if ((request.body as { spl?: unknown }).spl === undefined) throw new TuningInputError('spl is required to save (preview first)');
      const counted = await preview(options.store, detection, macro, spl);
      const saved = saveEntry(options.file, macro, spl, options.detections);
      await options.store.triage(
        { ids: [record.finding_id] },
        { comment: `tuning ${macro} saved to ${options.file}: ${spl} (suppresses ${counted.suppressed} of ${counted.total} stored findings of this detection; applies from the next start)` },
        actorOf(request),
      );
      return { macro, spl: saved, file: options.file, ...counted };
    } catch (error) {
      if (error instanceof TuningInputError) return reply.code(400).send({ error: error.message });
      throw error;
    }
  });
}

/** `search NOT (by1="v1" by2="v2")` over the finding's BY values that are output columns */
export function draftFilter(detection: Detection, record: FindingRecord): string {
  const columns = new Set(outputColumns(detection.plan));
  const terms: string[] = [];
  for (const b of detection.plan.by) {
    const value = record[b.as];
    if (!columns.has(b.as) || b.as === '_time' || typeof value !== 'string' || value === 'null' || value === '') continue;
    terms.push(`${b.as}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`);
  }
  if (terms.length === 0) throw new TuningInputError(`'${detection.name}' groups by nothing a filter can name: write the filter by hand`);
  return `search NOT (${terms.join(' ')})`;
}

/** how many stored findings of the detection the filter rejects (suppresses), of how many */
async function preview(store: FindingStore, detection: Detection, macro: string, spl: string): Promise<{ suppressed: number; total: number; examples: string[] }> {
  const filter = compilePredicate(compileEntry(macro, spl, detection).expr);
  const columns = outputColumns(detection.plan);
  let suppressed = 0;
  let total = 0;
  const examples: string[] = [];
  for (let offset = 0; offset < PREVIEW_LIMIT; offset += 1000) {
    const page = await store.listFindings({ detection: [detection.ruleId ?? detection.id], limit: 1000, offset, sort: 'last_time' });
    for (const f of page.items) {
      total++;
      if (filter(fieldsOf(f.record, columns))) continue;
      suppressed++;
      if (examples.length < 10) examples.push(f.record.finding_id);
    }
    if (page.items.length < 1000) break;
  }
  return { suppressed, total, examples };
}

/** validated exactly as a tuning file entry is (macro, SPL, output columns) */
function compileEntry(macro: string, spl: string, detection: Detection) {
  const { tuning, errors } = parseTuning('(tuning entry)', `${macro}: ${JSON.stringify(spl)}\n`, [detection]);
  const entry = tuning.get(macro);
  if (!entry) throw new TuningInputError(errors.map((e) => e.message).join('; ') || 'not a tuning filter');
  return entry;
}

/** the record's output columns as the filter sees them (the pipeline's columnValues) */
function fieldsOf(record: FindingRecord, columns: string[]): Record<string, FieldValue> {
  const fields: Record<string, FieldValue> = {};
  for (const c of columns) {
    const v = record[c];
    if (v === null || v === undefined) continue;
    if (Array.isArray(v)) fields[c] = v.map(String);
    else if (typeof v !== 'object') fields[c] = String(v);
  }
  return fields;
}

/** Adds the filter to the macro's entry (both must hold: ANDed with one already there); the whole file is validated before it is replaced. */
function saveEntry(file: string, macro: string, spl: string, detections: readonly Detection[]): string {
  const before = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const current = parseTuning(file, before, [...detections]);
  if (current.errors.length > 0) throw new TuningInputError(`${file} has errors; fix it first: ${current.errors[0].message}`);
  const old = current.tuning.get(macro)?.spl;
  const body = (s: string) => s.replace(/^\s*search\s+/i, '');
  const combined = old ? `search (${body(old)}) (${body(spl)})` : spl;
  // the other entries and comments are kept as written; this one is added (or replaced) as a line of its own
  const lines = before.split('\n').filter((l) => !l.startsWith(`${macro}:`));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const text = `${[...lines, `${macro}: ${JSON.stringify(combined)}`].join('\n')}\n`;
  const check = parseTuning(file, text, [...detections]);
  if (check.errors.length > 0) throw new TuningInputError(check.errors.map((e) => e.message).join('; '));
  writeFileAtomically(file, text);
  return combined;
}
