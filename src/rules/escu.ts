import { readFile } from 'node:fs/promises';
import { compileSearch } from './spl/compile.js';
import { escuDetectionSchema, type EscuDetectionYaml } from './escu-schema.js';
import { duplicateIdErrors, type ContentMetadata, type Detection, type RiskSpec } from './detection.js';
import { macrosFor } from './escu-macros.js';
import { lookupsFor } from './escu-lookups.js';
import type { LookupLibrary } from './spl/lookup-command.js';
import type { MacroLibrary } from './spl/macros.js';
import type { ContentError } from './search-plan.js';
import { templateFields } from './field-template.js';
import { rowColumns } from './plan-fields.js';
import { listYamlFiles } from './yaml-files.js';
import { parseLocated, schemaErrors, type YamlLocator } from './yaml-locate.js';

export interface LoadResult {
  detections: Detection[];
  errors: ContentError[];
}

/** Loads every detection YAML under the given files/directories and reports every problem at once. */
export async function loadDetections(paths: string[]): Promise<LoadResult> {
  const files = paths.flatMap(listYamlFiles);
  const results = await Promise.all(files.map(loadDetectionFile));
  const detections = results.flatMap((r) => r.detections);
  const errors = results.flatMap((r) => r.errors);
  errors.push(...duplicateIdErrors(detections));
  return { detections: detections.sort((a, b) => a.name.localeCompare(b.name)), errors };
}

export async function loadDetectionFile(file: string): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return { detections: [], errors: [{ file, line: 1, col: 1, message: `cannot read: ${(error as Error).message}` }] };
  }
  return parseTreeDetection(file, text);
}

/** A detection file with the macros and lookups of the ESCU tree it sits in (none outside one). */
export async function parseTreeDetection(file: string, text: string): Promise<LoadResult> {
  return parseDetection(file, text, await macrosFor(file), await lookupsFor(file));
}

/** `macros`, `lookups`: the definitions of the ESCU tree the file sits in (see escu-macros.ts, escu-lookups.ts) */
export function parseDetection(file: string, text: string, macros?: MacroLibrary, lookups?: LookupLibrary): LoadResult {
  const { data, locate, errors: syntaxErrors } = parseLocated(file, text);
  if (syntaxErrors.length > 0) return { detections: [], errors: syntaxErrors };
  const parsed = escuDetectionSchema.safeParse(data);
  if (!parsed.success) return { detections: [], errors: schemaErrors(file, parsed.error.issues, locate) };
  const yaml = parsed.data;
  const compiled = compileSearch(yaml.search, macros, lookups);
  const errors: ContentError[] = compiled.errors.map((e) => ({
    file,
    ...locate.inScalar(['search'], yaml.search, e.line, e.col),
    message: `search: ${e.message}`,
  }));
  errors.push(...riskFieldErrors(yaml, compiled.plan && compiled.output && rowColumns(compiled.plan, compiled.output), file, locate));
  if (!compiled.plan || !compiled.output || errors.length > 0) return { detections: [], errors };
  return { detections: [toDetection(yaml, compiled.plan, compiled.output, file)], errors: [] };
}

/** A risk or threat object naming a column the search does not output can never render. */
function riskFieldErrors(
  yaml: EscuDetectionYaml,
  columnList: string[] | undefined,
  file: string,
  locate: YamlLocator,
): ContentError[] {
  if (!columnList || !yaml.rba) return [];
  const columns = new Set(columnList);
  const errors: ContentError[] = [];
  const check = (field: string, at: Array<string | number>) => {
    if (!columns.has(field)) errors.push({ file, ...locate.at(at), message: `${at.join('.')}: '${field}' is not an output column of the search` });
  };
  yaml.rba.risk_objects.forEach((o, i) => check(o.field, ['rba', 'risk_objects', i, 'field']));
  yaml.rba.threat_objects.forEach((o, i) => check(o.field, ['rba', 'threat_objects', i, 'field']));
  for (const field of templateFields(yaml.rba.message)) check(field, ['rba', 'message']);
  return errors;
}

function toDetection(yaml: EscuDetectionYaml, plan: Detection['plan'], output: Detection['output'], file: string): Detection {
  return {
    name: yaml.name,
    id: yaml.id,
    version: yaml.version,
    type: yaml.type,
    status: yaml.status,
    description: yaml.description,
    dataSources: yaml.data_source,
    search: yaml.search,
    plan,
    output,
    drilldowns: yaml.drilldown_searches.map((d) => ({
      name: d.name,
      search: d.search,
      earliestOffset: d.earliest_offset?.toString(),
      latestOffset: d.latest_offset?.toString(),
    })),
    ...sharedMetadata(yaml),
    file,
  };
}

/** The ESCU fields detections and correlations read the same way. */
export function sharedMetadata(yaml: Pick<EscuDetectionYaml, 'rba' | 'tags' | 'known_false_positives' | 'references' | 'tests'>): ContentMetadata {
  return {
    risk: yaml.rba ? { message: yaml.rba.message, riskObjects: yaml.rba.risk_objects, threatObjects: yaml.rba.threat_objects } : legacyRisk(yaml.tags),
    analyticStories: yaml.tags.analytic_story,
    mitreAttackIds: yaml.tags.mitre_attack_id,
    securityDomain: yaml.tags.security_domain,
    knownFalsePositives: yaml.known_false_positives,
    references: yaml.references,
    tests: yaml.tests.map((t) => ({
      name: t.name,
      attackData: t.attack_data,
      expected: t.expected && { findings: t.expected.findings, rows: t.expected.rows },
    })),
  };
}

/** ES's risk object types, from ESCU's observable types (what contentctl did before `rba:`). */
const riskObjectTypeOf: Record<string, string> = {
  user: 'user',
  hostname: 'system',
  endpoint: 'system',
  'ip address': 'system',
};

/**
 * Risk from ESCU files older than `rba:`: observables in the role `Victim` are risk objects scored
 * `tags.risk_score`, those in the role `Attacker` are threat objects, `tags.message` is the message.
 * Without a risk score or a message there is no risk to give (validate says so).
 */
function legacyRisk(tags: EscuDetectionYaml['tags']): RiskSpec | undefined {
  if (tags.risk_score === undefined || tags.message === undefined || tags.observable.length === 0) return undefined;
  const score = Math.round(tags.risk_score);
  const inRole = (role: string) => tags.observable.filter((o) => o.role.some((r) => r.toLowerCase() === role));
  return {
    message: tags.message,
    riskObjects: inRole('victim').map((o) => ({ field: o.name, type: riskObjectTypeOf[o.type.toLowerCase()] ?? 'other', score })),
    threatObjects: inRole('attacker').map((o) => ({ field: o.name, type: o.type.toLowerCase().replaceAll(' ', '_') })),
  };
}
