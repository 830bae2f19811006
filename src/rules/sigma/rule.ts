import type { Detection } from '../detection.js';
import { fieldsOf } from '../plan-fields.js';
import type { ContentError, Expr, OutputSettings, SearchPlan } from '../search-plan.js';
import { mapFields } from '../spl/parser.js';
import { parseLocated, type YamlLocator } from '../yaml-locate.js';
import { compileCondition } from './condition.js';
import { routeOf, type SigmaSource } from './logsources.js';
import { sigmaDetectionMetadata, sigmaLevels, type SigmaLevel } from './metadata.js';
import { compileSearch, type SearchError } from './search.js';

/** What loading one Sigma file gave: its detections (one per log source it runs on) and why not more. */
export interface SigmaLoadResult {
  detections: Detection[];
  /** the rule did not load at all: every reason, each at file:line:col */
  notLoaded: ContentError[];
  /** log sources of the rule's category it does not run on, and why (fail closed) */
  notRun: ContentError[];
}

/** Keys of `detection:` that are not search identifiers. */
const RESERVED = new Set(['condition', 'timeframe']);

/** How Sigma findings are shaped: one row per group, first and last time rendered as text. */
const sigmaOutput: OutputSettings = { missingBy: 'fill-null', fillnullZero: false, ctimeFields: ['firstTime', 'lastTime'], rowStages: [] };

export function parseSigmaRule(file: string, text: string): SigmaLoadResult {
  const result: SigmaLoadResult = { detections: [], notLoaded: [], notRun: [] };
  // the one hardened parse of content YAML: syntax errors and alias bombs become located errors
  const { locate, errors, data } = parseLocated(file, text);
  const error = (at: { line: number; col: number }, message: string): ContentError => ({ file, ...at, message });
  if (errors.length > 0) {
    result.notLoaded = errors;
    return result;
  }
  if (!isRecord(data)) {
    result.notLoaded = [error({ line: 1, col: 1 }, 'a Sigma rule is a YAML map (title, logsource, detection...)')];
    return result;
  }
  const rule = data;
  const problem = (path: Array<string | number>, message: string) => result.notLoaded.push(error(locate.at(path), message));

  const title = text_(rule.title);
  const id = text_(rule.id);
  if (!title) problem(['title'], 'title: a rule needs a title');
  if (!id) problem(['id'], 'id: a rule needs an id');
  const level = (text_(rule.level) ?? 'medium').toLowerCase();
  if (!(sigmaLevels as readonly string[]).includes(level)) problem(['level'], `level: '${level}' is not one of ${sigmaLevels.join(', ')}`);
  const logsource = isRecord(rule.logsource) ? rule.logsource : undefined;
  const detection = isRecord(rule.detection) ? rule.detection : undefined;
  if (!logsource) problem(['logsource'], 'logsource: a map with product/category/service is required');
  if (!detection) problem(['detection'], 'detection: a map of search identifiers and a condition is required');
  if (!logsource || !detection) return result;

  const route = routeOf({ product: text_(logsource.product), category: text_(logsource.category), service: text_(logsource.service) });
  if (typeof route === 'string') problem(['logsource'], route);

  const searchErrors: SearchError[] = [];
  const searches = new Map<string, Expr>();
  for (const [name, value] of Object.entries(detection)) {
    if (RESERVED.has(name)) continue;
    const expr = compileSearch(value, ['detection', name], searchErrors);
    if (expr) searches.set(name, expr);
  }
  for (const e of searchErrors) problem(e.path, `${e.path.slice(1).join('.')}: ${e.message}`);
  if (detection.timeframe !== undefined) problem(['detection', 'timeframe'], 'detection.timeframe: Sigma 1 aggregation windows are not supported (write a correlation rule)');

  const written: unknown = typeof detection.condition === 'string' ? [detection.condition] : detection.condition;
  const conditions: string[] = Array.isArray(written) && written.every((c) => typeof c === 'string') ? written : [];
  const terms: Expr[] = [];
  if (conditions.length === 0) {
    problem(['detection', 'condition'], 'detection.condition: a condition (or list of conditions) is required');
  } else if (searchErrors.length === 0) {
    conditions.forEach((condition, i) => {
      const path = typeof detection.condition === 'string' ? ['detection', 'condition'] : ['detection', 'condition', i];
      const compiled = compileCondition(condition, searches);
      for (const e of compiled.errors) result.notLoaded.push(error(locate.inScalar(path, condition, 1, e.col), `detection.condition: ${e.message}`));
      if (compiled.expr) terms.push(compiled.expr);
    });
  }
  if (result.notLoaded.length > 0 || typeof route === 'string' || !title || !id) return result;

  const where: Expr = terms.length === 1 ? terms[0] : { kind: 'or', terms };
  const used = fieldsOf(where);
  const tags = Array.isArray(rule.tags) ? rule.tags.filter((t): t is string => typeof t === 'string') : [];
  const meta = { title, id, level: level as SigmaLevel, status: text_(rule.status) ?? '', tags, rule, file, search: conditions.join(' | ') };
  for (const source of route) {
    const missing = new Set(used.filter((f) => !(f in source.fields)));
    const runnable = missing.size === 0 ? where : withoutFields(where, missing, true);
    if (runnable !== undefined && runnable !== false) {
      result.detections.push(toDetection(meta, source, mapFields(runnable, (f) => source.fields[f])));
    } else {
      const names = [...missing];
      result.notRun.push(error(fieldAt(locate, detection, names[0]), `not run on ${source.name}: it cannot provide field${names.length > 1 ? 's' : ''} ${names.join(', ')}${runnable === false ? ' (every branch of the condition needs one)' : ''}`));
    }
  }
  if (result.detections.length === 0) {
    result.notLoaded.push(...result.notRun.map((e) => ({ ...e, message: `no log source of the rule runs it: ${e.message}` })));
    result.notRun = [];
  }
  return result;
}

/**
 * The rule as it runs on a source lacking `missing` fields. A test that needs such a field to hold
 * can never hold there, so where it counts for the rule (not under `not`) it is dropped as false:
 * `Image|endswith: x` OR `OriginalFileName: y` still runs on the Image branch. Under `not`, or as a
 * `null` test, the absent field would make the rule match more than the rule means: undefined
 * (the rule does not run there: fail closed). false: nothing is left to match.
 */
function withoutFields(expr: Expr, missing: ReadonlySet<string>, positive: boolean): Expr | false | undefined {
  switch (expr.kind) {
    case 'and':
    case 'or': {
      const terms: Expr[] = [];
      for (const term of expr.terms) {
        const kept = withoutFields(term, missing, positive);
        if (kept === undefined) return undefined;
        if (kept === false) {
          if (expr.kind === 'and') return false;
        } else terms.push(kept);
      }
      if (terms.length === 0) return false;
      return terms.length === 1 ? terms[0] : { kind: expr.kind, terms };
    }
    case 'not': {
      const term = withoutFields(expr.term, missing, !positive);
      return term === undefined ? undefined : term === false ? undefined : { kind: 'not', term };
    }
    case 'test': {
      const fields = [expr.field, expr.test.op === 'fieldref' ? expr.test.other : null].filter((f) => f !== null);
      if (!fields.some((f) => missing.has(f))) return expr;
      return positive && expr.test.op !== 'null' ? false : undefined;
    }
    default:
      return expr;
  }
}

interface RuleMeta {
  title: string;
  id: string;
  level: SigmaLevel;
  status: string;
  tags: string[];
  rule: Record<string, unknown>;
  file: string;
  search: string;
}

function toDetection(meta: RuleMeta, source: SigmaSource, where: Expr): Detection {
  const by = source.groupBy
    .map((name) => ({ field: name === 'dest' ? 'dest' : source.fields[name], as: name }))
    .filter((b): b is { field: string; as: string } => b.field !== undefined);
  const plan: SearchPlan = {
    dataset: source.dataset,
    where: { kind: 'and', terms: [source.events, where] },
    aggregates: [
      { fn: 'count', as: 'count' },
      { fn: 'min', field: '_time', as: 'firstTime' },
      { fn: 'max', field: '_time', as: 'lastTime' },
    ],
    by,
  };
  const described = {
    title: meta.title,
    level: meta.level,
    status: meta.status,
    tags: meta.tags,
    description: text_(meta.rule.description) ?? '',
    references: Array.isArray(meta.rule.references) ? meta.rule.references.map(String) : [],
    falsepositives: Array.isArray(meta.rule.falsepositives) ? meta.rule.falsepositives.map(String).join('; ') : undefined,
  };
  return {
    ...sigmaDetectionMetadata(described, source.name, 'dest'),
    name: meta.title,
    id: `${meta.id}@${source.key}`,
    ruleId: meta.id,
    ...(text_(meta.rule.name) && { ruleName: text_(meta.rule.name) }),
    dataSources: [source.name],
    search: meta.search,
    plan,
    output: sigmaOutput,
    file: meta.file,
  };
}

/** where a field is first named under `detection:` (its `Field|modifiers` key) */
function fieldAt(locate: YamlLocator, detection: Record<string, unknown>, field: string): { line: number; col: number } {
  for (const [name, value] of Object.entries(detection)) {
    const maps = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : [[undefined, value] as const];
    for (const [index, map] of maps) {
      if (!isRecord(map)) continue;
      const key = Object.keys(map).find((k) => k.split('|')[0] === field);
      if (key !== undefined) return locate.at(index === undefined ? ['detection', name, key] : ['detection', name, index, key]);
    }
  }
  return locate.at(['detection']);
}

function text_(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
