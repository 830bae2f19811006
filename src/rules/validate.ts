import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { knownDataSources } from '../cim/normalize.js';
import { parseCorrelation } from './correlation.js';
import type { Detection } from './detection.js';
import { escuDetectionSchema } from './escu-schema.js';
import { loadDetections, parseDetection } from './escu.js';
import { isTechniqueTable, parseTacticTable } from './mitre-load.js';
import type { ContentError } from './search-plan.js';
import { parseSigmaRule } from './sigma/rule.js';
import { isSigmaRule } from './sigma/sniff.js';
import { compileSearch } from './spl/compile.js';
import { isTuningDocument, parseTuning } from './tuning.js';
import { listYamlFiles } from './yaml-files.js';
import { parseLocated } from './yaml-locate.js';

export interface ValidationResult {
  errors: ContentError[];
  /** not errors: log sources a loaded Sigma rule does not run on, and why */
  notes: ContentError[];
  /** files checked, by kind */
  checked: { detections: number; sigma: number; correlations: number; tuning: number; techniques: number; stories: number };
}

interface ContentFile {
  file: string;
  text: string;
}

/**
 * Checks every YAML file under `paths`, telling detections, tuning files (a mapping of `*_filter`
 * keys) and technique tables apart by content, and reports every error with file:line:col.
 * Tuning files are checked against the detections found in `paths`, or `fallbackRules` when none are.
 */
export async function validateContent(paths: string[], fallbackRules: string[]): Promise<ValidationResult> {
  const files = paths.flatMap(listYamlFiles);
  const errors: ContentError[] = [];
  const detectionFiles: ContentFile[] = [];
  const tuningFiles: ContentFile[] = [];
  let techniques = 0;
  let stories = 0;
  let correlations = 0;
  let sigma = 0;
  const notes: ContentError[] = [];
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch((e: Error) => e);
    if (text instanceof Error) {
      errors.push({ file, line: 1, col: 1, message: `cannot read: ${text.message}` });
      continue;
    }
    if (isSigmaRule(text)) {
      sigma++;
      const parsed = parseSigmaRule(file, text);
      errors.push(...parsed.notLoaded);
      notes.push(...parsed.notRun);
      continue;
    }
    const value = parseDocument(text).toJS() as unknown;
    if (isTuningDocument(value)) tuningFiles.push({ file, text });
    else if (isTechniqueTable(value)) {
      techniques++;
      errors.push(...parseTacticTable(file, text).errors);
    } else if (isStory(value)) stories++;
    else if (isCorrelation(value)) {
      correlations++;
      errors.push(...parseCorrelation(file, text).errors);
    }
    else detectionFiles.push({ file, text });
  }
  const detections: Detection[] = [];
  for (const f of detectionFiles) {
    const parsed = parseDetection(f.file, f.text);
    detections.push(...parsed.detections);
    errors.push(...parsed.errors, ...detectionExtraErrors(f));
  }
  errors.push(...duplicateIdErrors(detectionFiles));
  if (tuningFiles.length > 0) {
    const against = detectionFiles.length > 0 ? detections : (await loadDetections(fallbackRules)).detections;
    for (const f of tuningFiles) errors.push(...parseTuning(f.file, f.text, against).errors);
  }
  return {
    errors: dedupe(errors).sort(byLocation),
    notes: notes.sort(byLocation),
    checked: { detections: detectionFiles.length, sigma, correlations, tuning: tuningFiles.length, techniques, stories },
  };
}

/** ESCU analytic story files (narrative, no search) sit beside detections; they are not checked here. */
function isStory(value: unknown): boolean {
  return !!value && typeof value === 'object' && 'narrative' in value && !('search' in value);
}

/** tunnelwatch correlation rules: a `correlation:` block instead of a search */
function isCorrelation(value: unknown): boolean {
  return !!value && typeof value === 'object' && 'correlation' in value && !('search' in value);
}

/** What the loader leaves out: data_source names, and SPL errors when the schema already failed. */
function detectionExtraErrors({ file, text }: ContentFile): ContentError[] {
  const { doc, locate, errors: syntaxErrors } = parseLocated(file, text);
  if (syntaxErrors.length > 0) return [];
  const raw = doc.toJS() as Record<string, unknown> | null;
  if (!raw || typeof raw !== 'object') return [];
  const errors: ContentError[] = [];
  const known = new Set(knownDataSources);
  if (Array.isArray(raw.data_source)) {
    raw.data_source.forEach((name, i) => {
      if (typeof name === 'string' && !known.has(name)) {
        errors.push({ file, ...locate.at(['data_source', i]), message: `data_source.${i}: unknown data source '${name}' (known: ${[...known].sort().join(', ')})` });
      }
    });
  }
  if (typeof raw.search === 'string' && !escuDetectionSchema.safeParse(raw).success) {
    const search = raw.search;
    for (const e of compileSearch(search).errors) errors.push({ file, ...locate.inScalar(['search'], search, e.line, e.col), message: `search: ${e.message}` });
  }
  return errors;
}

function duplicateIdErrors(files: ContentFile[]): ContentError[] {
  const seen = new Map<string, string>();
  const errors: ContentError[] = [];
  for (const { file, text } of files) {
    const { doc, locate } = parseLocated(file, text);
    const id = doc.get('id');
    if (typeof id !== 'string') continue;
    const first = seen.get(id.toLowerCase());
    if (first) errors.push({ file, ...locate.at(['id']), message: `id ${id} is also used by ${first}` });
    else seen.set(id.toLowerCase(), file);
  }
  return errors;
}

function dedupe(errors: ContentError[]): ContentError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.file}:${e.line}:${e.col}:${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function byLocation(a: ContentError, b: ContentError): number {
  return a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col;
}
