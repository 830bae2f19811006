import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { datasetNames, type DatasetName } from '../cim/model.js';
import type { ContentMetadata, Detection } from './detection.js';
import { correlationPlanColumns } from './correlation-columns.js';
import { escuDetectionSchema } from './escu-schema.js';
import type { ContentError, Expr } from './search-plan.js';
import { sharedMetadata } from './escu.js';
import { outputColumns } from './plan-fields.js';
import { templateFields } from './field-template.js';
import { listYamlFiles } from './yaml-files.js';
import type { SigmaCorrelationSpec } from './sigma/correlation.js';
import { parseLocated, schemaErrors, type YamlLocator } from './yaml-locate.js';

const columnName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a field name: letters, digits and _');

const duration = z
  .union([z.number().positive(), z.string().regex(/^\d+(\.\d+)?\s*[smhd]?$/, 'a duration like 90s, 5m, 1h or a number of seconds')])
  .describe('seconds, or a number with s/m/h/d');

const step = z
  .object({
    name: columnName.describe('step name; output columns <name>_count, <name>_firstTime, <name>_detections'),
    detection: z.string().min(1).optional().describe('one detection, by id or name'),
    any_of: z.array(z.string().min(1)).min(1).optional().describe('several detections, by id or name: any of them satisfies the step'),
    optional: z.boolean().default(false).describe('a context step: its events are carried and kept as evidence of a confirmed key, but never needed to confirm it'),
  })
  .strict()
  .refine((s) => (s.detection === undefined) !== (s.any_of === undefined), 'a step names exactly one of `detection` or `any_of`');

/** The `correlation:` block: tunnelwatch's extension to the ESCU schema (docs/correlation.md). */
const correlationBlock = z
  .object({
    window: duration.describe('all steps of one key must fall within this span'),
    lateness: duration.optional().describe('how far behind the newest event a key may still receive events (default: window)'),
    key: z
      .array(z.array(columnName).min(1))
      .min(1)
      .describe('ordered identity alternatives: the first whose fields all exist on an event keys it'),
    fields: z
      .record(z.string(), z.record(columnName, columnName))
      .default({})
      .describe('per dataset, the event field a key part reads when it is not the part name (dvc for dest on All_Traffic)'),
    steps: z.array(step).min(2),
    carry: z
      .record(columnName, z.array(z.union([columnName, z.record(columnName, z.union([columnName, z.array(columnName).min(2)]))])).min(1))
      .default({})
      .describe('per step, event fields whose distinct values become output columns; `{ column: field }` renames one, `{ column: [address, port] }` joins an endpoint'),
  })
  .strict();

/** ESCU metadata of a correlation: the detection schema without `search`, plus the block above. */
export const correlationSchema = escuDetectionSchema
  .omit({ search: true, type: true, data_source: true })
  .extend({ type: z.literal('Correlation'), data_source: z.array(z.string()).default([]), correlation: correlationBlock })
  .strict();

export type CorrelationYaml = z.infer<typeof correlationSchema>;

export interface DetectionRef {
  ref: string;
  line: number;
  col: number;
}

/** An output column carried from a step's events: one event field, or an endpoint joined from an address and a port field. */
export interface CarriedColumn {
  column: string;
  fields: string[];
}

export interface CorrelationStep {
  name: string;
  refs: DetectionRef[];
  /** a context step: carried and evidenced, never needed to confirm a key */
  optional: boolean;
  /** event fields whose values are carried into the finding */
  carry: CarriedColumn[];
}

type CarryYaml = CorrelationYaml['correlation']['carry'][string];

/** `[field, { column: field }, { column: [address, port] }]` as columns, in order */
function carriedColumns(carry: CarryYaml): CarriedColumn[] {
  return carry.flatMap((entry) =>
    typeof entry === 'string'
      ? [{ column: entry, fields: [entry] }]
      : Object.entries(entry).map(([column, from]) => ({ column, fields: typeof from === 'string' ? [from] : from })),
  );
}

/** A correlation as loaded: references are still names or ids (see bindCorrelations). */
export interface Correlation extends ContentMetadata {
  name: string;
  id: string;
  version: number;
  status: string;
  description: string;
  windowSeconds: number;
  latenessSeconds: number;
  /** identity alternatives, each a list of key parts (also the finding's BY columns) */
  key: string[][];
  /** dataset -> key part -> event field */
  fieldMap: Partial<Record<DatasetName, Record<string, string>>>;
  steps: CorrelationStep[];
  file: string;
}

/** A step whose references resolved to loaded detections. */
export interface BoundStep extends CorrelationStep {
  detections: Detection[];
}

export interface BoundCorrelation extends Omit<Correlation, 'steps'> {
  steps: BoundStep[];
  /** the correlation as a Detection, so findings render and sink like any other */
  detection: Detection;
  /**
   * The tuning filters of the step detections, by detection id: a run with a tuning file sets them,
   * and an event a step detection's filter would suppress does not count for the step either.
   */
  stepFilters?: Record<string, Expr>;
  /** a Sigma correlation rule (docs/sigma.md, Correlations): its steps are its rules, evaluated over exact sliding windows */
  sigma?: SigmaCorrelationSpec;
}

export interface CorrelationLoadResult {
  correlations: Correlation[];
  errors: ContentError[];
}

export async function loadCorrelations(paths: string[]): Promise<CorrelationLoadResult> {
  const files = paths.flatMap(listYamlFiles);
  const results = await Promise.all(
    files.map(async (file) => {
      const text = await readFile(file, 'utf8').catch((error: Error) => error);
      if (text instanceof Error) return { correlations: [], errors: [{ file, line: 1, col: 1, message: `cannot read: ${text.message}` }] };
      return parseCorrelation(file, text);
    }),
  );
  return {
    correlations: results.flatMap((r) => r.correlations).sort((a, b) => a.name.localeCompare(b.name)),
    errors: results.flatMap((r) => r.errors),
  };
}

export function parseCorrelation(file: string, text: string): CorrelationLoadResult {
  const { data, locate, errors: syntaxErrors } = parseLocated(file, text);
  if (syntaxErrors.length > 0) return { correlations: [], errors: syntaxErrors };
  const parsed = correlationSchema.safeParse(data);
  if (!parsed.success) return { correlations: [], errors: schemaErrors(file, parsed.error.issues, locate) };
  const yaml = parsed.data;
  const errors = structureErrors(yaml, file, locate);
  if (errors.length > 0) return { correlations: [], errors };
  return { correlations: [toCorrelation(yaml, file, locate)], errors: [] };
}

/** Problems zod cannot see: unknown datasets and steps, duplicate or colliding column names. */
function structureErrors(yaml: CorrelationYaml, file: string, locate: YamlLocator): ContentError[] {
  const errors: ContentError[] = [];
  const at = (path: Array<string | number>, message: string) => errors.push({ file, ...locate.at(path), message: `${path.join('.')}: ${message}` });
  const c = yaml.correlation;
  for (const dataset of Object.keys(c.fields)) {
    if (!(datasetNames as string[]).includes(dataset)) at(['correlation', 'fields', dataset], `unknown dataset ${dataset} (${datasetNames.join(', ')})`);
  }
  const stepNames = c.steps.map((s) => s.name);
  stepNames.forEach((name, i) => {
    if (stepNames.indexOf(name) !== i) at(['correlation', 'steps', i, 'name'], `step ${name} is named twice`);
  });
  for (const name of Object.keys(c.carry)) {
    if (!stepNames.includes(name)) at(['correlation', 'carry', name], `no step named ${name}`);
  }
  if (c.steps.filter((s) => !s.optional).length < 2) at(['correlation', 'steps'], 'at least two steps must be required (not optional)');
  const carried = Object.values(c.carry).flatMap((entries) => carriedColumns(entries).map((e) => e.column));
  const columns = new Set(outputColumns(correlationPlanColumns(c.key, stepNames, carried)));
  const generated = new Set(outputColumns(correlationPlanColumns(c.key, stepNames, [])));
  for (const [name, entries] of Object.entries(c.carry)) {
    entries.forEach((entry, i) => {
      for (const { column } of carriedColumns([entry])) {
        if (generated.has(column)) at(['correlation', 'carry', name, i], `carried field ${column} collides with a generated column`);
      }
    });
  }
  if (yaml.rba) {
    const check = (field: string, path: Array<string | number>) => {
      if (!columns.has(field)) at(path, `'${field}' is not an output column of the correlation`);
    };
    yaml.rba.risk_objects.forEach((o, i) => check(o.field, ['rba', 'risk_objects', i, 'field']));
    yaml.rba.threat_objects.forEach((o, i) => check(o.field, ['rba', 'threat_objects', i, 'field']));
    for (const field of templateFields(yaml.rba.message)) check(field, ['rba', 'message']);
  }
  return errors;
}

function toCorrelation(yaml: CorrelationYaml, file: string, locate: YamlLocator): Correlation {
  const c = yaml.correlation;
  const windowSeconds = parseDuration(c.window);
  return {
    name: yaml.name,
    id: yaml.id,
    version: yaml.version,
    status: yaml.status,
    description: yaml.description,
    windowSeconds,
    latenessSeconds: c.lateness === undefined ? windowSeconds : parseDuration(c.lateness),
    key: c.key,
    fieldMap: c.fields as Correlation['fieldMap'],
    steps: c.steps.map((s, i) => {
      const refs = s.any_of ?? [s.detection as string];
      const path = s.any_of ? ['correlation', 'steps', i, 'any_of'] : ['correlation', 'steps', i, 'detection'];
      return {
        name: s.name,
        refs: refs.map((ref, k) => ({ ref, ...locate.at(s.any_of ? [...path, k] : path) })),
        optional: s.optional,
        carry: carriedColumns(c.carry[s.name] ?? []),
      };
    }),
    ...sharedMetadata(yaml),
    file,
  };
}

const unitSeconds: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

export function parseDuration(value: number | string): number {
  if (typeof value === 'number') return value;
  const trimmed = value.trim();
  const unit = /[smhd]$/.test(trimmed) ? trimmed.slice(-1) : 's';
  return Number.parseFloat(trimmed) * unitSeconds[unit];
}

/**
 * Resolves every step reference (detection id first, then name) against the loaded detections.
 * A reference that matches nothing is an error at its line: a correlation that can never fire
 * must not load silently.
 */
export function bindCorrelations(
  correlations: Correlation[],
  detections: Detection[],
): { correlations: BoundCorrelation[]; errors: ContentError[] } {
  const byId = new Map(detections.map((d) => [d.id, d]));
  const byName = new Map(detections.map((d) => [d.name.toLowerCase(), d]));
  const bound: BoundCorrelation[] = [];
  const errors: ContentError[] = [];
  for (const c of correlations) {
    const before = errors.length;
    const steps = c.steps.map((s) => {
      const found: Detection[] = [];
      for (const r of s.refs) {
        const d = byId.get(r.ref) ?? byName.get(r.ref.toLowerCase());
        if (d) found.push(d);
        else errors.push({ file: c.file, line: r.line, col: r.col, message: `step ${s.name}: no loaded detection has id or name '${r.ref}'` });
      }
      return { ...s, detections: found };
    });
    if (errors.length === before) bound.push({ ...c, steps, detection: correlationDetection(c) });
  }
  return { correlations: bound, errors };
}

/** A correlation's own tuning macro: `<file name>_filter` (confirmed_tunnel_process_beacon.yml: confirmed_tunnel_process_beacon_filter). */
export function correlationFilterMacro(c: Pick<Correlation, 'file' | 'name'>): string {
  const base = path.basename(c.file).replace(/\.ya?ml$/i, '');
  const slug = (/^[A-Za-z0-9_]+$/.test(base) ? base : c.name).toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
  return `${slug}_filter`;
}

/** The synthetic Detection a correlation's findings carry: its plan describes the output columns. */
export function correlationDetection(c: Correlation): Detection {
  const steps = c.steps.map((s) => s.name);
  const columns = correlationPlanColumns(c.key, steps, c.steps.flatMap((s) => s.carry.map((e) => e.column)));
  return {
    name: c.name,
    id: c.id,
    version: c.version,
    type: 'Correlation',
    status: c.status,
    description: c.description,
    dataSources: [],
    search: `correlation: ${c.steps.map((s) => s.name).join(' + ')} per ${c.key.map((k) => k.join('+')).join(' | ')} within ${c.windowSeconds}s`,
    plan: {
      dataset: 'Endpoint.Processes',
      where: { kind: 'true' },
      aggregates: columns.aggregates,
      by: columns.by,
    },
    output: {
      missingBy: 'fill-null',
      fillnullZero: false,
      ctimeFields: columns.ctimeFields,
      rowStages: [],
      filterMacro: correlationFilterMacro(c),
    },
    risk: c.risk,
    drilldowns: [],
    analyticStories: c.analyticStories,
    mitreAttackIds: c.mitreAttackIds,
    securityDomain: c.securityDomain,
    knownFalsePositives: c.knownFalsePositives,
    references: c.references,
    tests: c.tests,
    file: c.file,
  };
}
