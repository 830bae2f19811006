import { lookupsFor } from './escu-lookups.js';
import { readFile } from 'node:fs/promises';
import { knownDataSources } from '../families/registry.js';
import { correlationsBeside } from './content.js';
import { correlationDetection, loadCorrelations, parseCorrelation } from './correlation.js';
import type { Detection } from './detection.js';
import { escuDetectionSchema } from './escu-schema.js';
import { loadDetections, parseDetection } from './escu.js';
import { macrosFor } from './escu-macros.js';
import { isTechniqueTable, parseTacticTable } from './mitre-load.js';
import type { ContentError } from './search-plan.js';
import { bindSigmaCorrelations } from './sigma/bind-correlations.js';
import { parseSigmaFile } from './sigma/collection.js';
import type { SigmaCorrelationRule } from './sigma/correlation.js';
import { isSigmaRule } from './sigma/sniff.js';
import { compileSearch } from './spl/compile.js';
import type { MacroLibrary } from './spl/macros.js';
import { isTuningDocument, parseTuning } from './tuning.js';
import { listYamlFiles } from './yaml-files.js';
import { parseLocated } from './yaml-locate.js';

export interface ValidationResult {
  errors: ContentError[];
  /** not errors: log sources a loaded Sigma rule does not run on, and why */
  notes: ContentError[];
  /** what loads but may not do what its author expects (a detection that gives no risk) */
  warnings: ContentError[];
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
  /** the correlations' own detections: a tuning file may hold their filter macros */
  const correlationDetections: Detection[] = [];
  let sigma = 0;
  const notes: ContentError[] = [];
  /** Sigma rules and correlations: a correlation is checked against the Sigma rules validated with it */
  const sigmaDetections: Detection[] = [];
  const sigmaCorrelations: SigmaCorrelationRule[] = [];
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch((e: Error) => e);
    if (text instanceof Error) {
      errors.push({ file, line: 1, col: 1, message: `cannot read: ${text.message}` });
      continue;
    }
    if (isSigmaRule(text)) {
      sigma++;
      const parsed = parseSigmaFile(file, text);
      errors.push(...parsed.notLoaded);
      notes.push(...parsed.notRun);
      sigmaDetections.push(...parsed.detections);
      sigmaCorrelations.push(...parsed.correlations);
      continue;
    }
    // a file that cannot become data (say, an alias bomb) is checked as a detection, which reports why
    const value = parseLocated(file, text).data;
    if (isTuningDocument(value)) tuningFiles.push({ file, text });
    else if (isTechniqueTable(value)) {
      techniques++;
      errors.push(...parseTacticTable(file, text).errors);
    } else if (isStory(value)) stories++;
    else if (isMacroOrLookup(value)) continue;
    else if (isCorrelation(value)) {
      correlations++;
      const parsed = parseCorrelation(file, text);
      errors.push(...parsed.errors);
      correlationDetections.push(...parsed.correlations.map(correlationDetection));
    }
    else detectionFiles.push({ file, text });
  }
  errors.push(...bindSigmaCorrelations(sigmaCorrelations, sigmaDetections).notLoaded);
  const detections: Detection[] = [];
  const warnings: ContentError[] = [];
  for (const f of detectionFiles) {
    const macros = await macrosFor(f.file);
    const parsed = parseDetection(f.file, f.text, macros, await lookupsFor(f.file));
    detections.push(...parsed.detections);
    errors.push(...parsed.errors, ...detectionExtraErrors(f, macros));
    warnings.push(...parsed.detections.flatMap((d) => riskWarnings(f, d)));
  }
  errors.push(...duplicateIdErrors(detectionFiles));
  if (tuningFiles.length > 0) {
    const against = detectionFiles.length > 0 ? [...detections, ...correlationDetections] : await fallbackTunables(fallbackRules, correlationDetections);
    for (const f of tuningFiles) errors.push(...parseTuning(f.file, f.text, against).errors);
  }
  return {
    errors: dedupe(errors).sort(byLocation),
    notes: notes.sort(byLocation),
    warnings: warnings.sort(byLocation),
    checked: { detections: detectionFiles.length, sigma, correlations, tuning: tuningFiles.length, techniques, stories },
  };
}

/** ESCU macro and lookup definitions (`macros/`, `lookups/`) are read where detections use them. */
function isMacroOrLookup(value: unknown): boolean {
  return !!value && typeof value === 'object' && ('definition' in value || 'filename' in value) && !('search' in value);
}

/** ESCU analytic story files (narrative, no search) sit beside detections; they are not checked here. */
function isStory(value: unknown): boolean {
  return !!value && typeof value === 'object' && 'narrative' in value && !('search' in value);
}

/** tunnelwatch correlation rules: a `correlation:` block instead of a search */
function isCorrelation(value: unknown): boolean {
  return !!value && typeof value === 'object' && 'correlation' in value && !('search' in value);
}

const knownSet = new Set(knownDataSources);
const knownPrefixes = [...new Set(knownDataSources.map((name) => name.replace(/\S+$/, '')))];

/**
 * A name in the form of a source tunnelwatch reads (`Sysmon EventID 9999`) but not one of its
 * events is a mistake. Names of sources it does not read (Splunk Stream, Zeek, ...) are ESCU's
 * own business: the detection still loads, and scans data it has.
 */
function isMistypedDataSource(name: string): boolean {
  return !knownSet.has(name) && knownPrefixes.some((prefix) => name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length)));
}

/** What the loader leaves out: data_source names, and SPL errors when the schema already failed. */
function detectionExtraErrors({ file, text }: ContentFile, macros: MacroLibrary | undefined): ContentError[] {
  const { data, locate, errors: syntaxErrors } = parseLocated(file, text);
  if (syntaxErrors.length > 0) return [];
  const raw = data as Record<string, unknown> | null;
  if (!raw || typeof raw !== 'object') return [];
  const errors: ContentError[] = [];
  if (Array.isArray(raw.data_source)) {
    raw.data_source.forEach((name, i) => {
      // ESCU joins data sources a search needs together: 'Sysmon EventID 1 AND Sysmon EventID 11'
      for (const part of typeof name === 'string' ? name.split(' AND ').map((p) => p.trim()) : []) {
        if (isMistypedDataSource(part)) {
          errors.push({ file, ...locate.at(['data_source', i]), message: `data_source.${i}: unknown data source '${part}' (known: ${[...knownSet].sort().join(', ')})` });
        }
      }
    });
  }
  if (typeof raw.search === 'string' && !escuDetectionSchema.safeParse(raw).success) {
    const search = raw.search;
    for (const e of compileSearch(search, macros).errors) errors.push({ file, ...locate.inScalar(['search'], search, e.line, e.col), message: `search: ${e.message}` });
  }
  return errors;
}

/**
 * ES gives risk only from `rba:` or, in older ESCU files, from `tags.observable` with
 * `tags.risk_score` and `tags.message`. A TTP or Anomaly with neither loads and finds, but no
 * risk event or incident ever comes of it: say so. Hunting searches give no risk by design.
 */
function riskWarnings({ file, text }: ContentFile, detection: Detection): ContentError[] {
  if (detection.type === 'Hunting' || detection.type === 'Correlation') return [];
  const { doc, locate } = parseLocated(file, text);
  if (!detection.risk) {
    return [{ file, ...locate.at(['tags']), message: 'no risk metadata (neither rba: nor tags.observable with tags.risk_score and tags.message): its findings give no risk events' }];
  }
  if (detection.risk.riskObjects.length === 0) {
    return [{ file, ...locate.at(doc.has('rba') ? ['rba'] : ['tags', 'observable']), message: 'no risk object (no rba.risk_objects, or no observable in the role Victim): its findings give no risk events' }];
  }
  return [];
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

/** The detections and correlations a tuning file alone is checked against: those of the default rules. */
async function fallbackTunables(rules: string[], found: Detection[]): Promise<Detection[]> {
  const { detections } = await loadDetections(rules);
  const correlations = found.length > 0 ? found : (await loadCorrelations(rules.map(correlationsBeside))).correlations.map(correlationDetection);
  return [...detections, ...correlations];
}
