import { readFile } from 'node:fs/promises';
import { isMap, isScalar } from 'yaml';
import type { Detection } from './detection.js';
import type { ContentError, Expr } from './search-plan.js';
import { fieldsOf, rowColumns } from './plan-fields.js';
import { compileFilter } from './spl/compile.js';
import { parseLocated } from './yaml-locate.js';

/** One user-defined `<detection>_filter` macro: rows it rejects are suppressed. */
export interface TuningFilter {
  macro: string;
  /** the SPL as written */
  spl: string;
  expr: Expr;
  file: string;
  line: number;
}

/** filter macro name -> its definition */
export type Tuning = ReadonlyMap<string, TuningFilter>;

/** A tuning file is a mapping whose keys are all filter macro names. */
export function isTuningDocument(value: unknown): boolean {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((k) => k.endsWith('_filter'));
}

export async function loadTuning(file: string, detections: Detection[]): Promise<{ tuning: Tuning; errors: ContentError[] }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return { tuning: new Map(), errors: [{ file, line: 1, col: 1, message: `cannot read: ${(error as Error).message}` }] };
  }
  return parseTuning(file, text, detections);
}

/**
 * Validates every entry against the loaded detections (macro exists, SPL parses, columns are
 * output columns of that detection) and reports all problems; a tuning is returned only when clean.
 */
export function parseTuning(file: string, text: string, detections: Detection[]): { tuning: Tuning; errors: ContentError[] } {
  const { doc, locate, errors } = parseLocated(file, text);
  if (errors.length > 0) return { tuning: new Map(), errors };
  if (doc.contents === null) return { tuning: new Map(), errors: [] };
  if (!isMap(doc.contents)) return { tuning: new Map(), errors: [{ file, ...locate.at([]), message: 'a tuning file maps filter macro names to SPL filters' }] };
  const byMacro = new Map(detections.filter((d) => d.output.filterMacro).map((d) => [d.output.filterMacro as string, d]));
  const tuning = new Map<string, TuningFilter>();
  for (const pair of doc.contents.items) {
    const macro = isScalar(pair.key) ? String(pair.key.value) : '';
    const at = locate.at([macro]);
    const detection = byMacro.get(macro);
    if (!detection) {
      const known = [...byMacro.keys()].sort();
      errors.push({ file, ...(locate.ofNode(pair.key) ?? at), message: `'${macro}' is not the filter macro of any loaded detection${known.length ? ` (known: ${known.join(', ')})` : ''}` });
    }
    if (!isScalar(pair.value) || typeof pair.value.value !== 'string') {
      errors.push({ file, ...at, message: `${macro}: expected an SPL filter string such as: search NOT user IN ("svc_build")` });
      continue;
    }
    const spl = pair.value.value;
    const compiled = compileFilter(spl);
    for (const e of compiled.errors) errors.push({ file, ...locate.inScalar([macro], spl, e.line, e.col), message: `${macro}: ${e.message}` });
    if (!compiled.expr) continue;
    if (detection) {
      const columns = new Set(rowColumns(detection.plan, detection.output));
      for (const field of fieldsOf(compiled.expr)) {
        if (columns.has(field)) continue;
        const pos = positionOf(spl, field);
        errors.push({ file, ...locate.inScalar([macro], spl, pos.line, pos.col), message: `${macro}: '${field}' is not an output column of '${detection.name}'` });
      }
    }
    tuning.set(macro, { macro, spl, expr: compiled.expr, file, line: at.line });
  }
  return errors.length > 0 ? { tuning: new Map(), errors } : { tuning, errors };
}

/** 1-based line:col of the first occurrence of `needle` in a decoded scalar */
function positionOf(text: string, needle: string): { line: number; col: number } {
  const offset = Math.max(0, text.indexOf(needle));
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, col: before[before.length - 1].length + 1 };
}
