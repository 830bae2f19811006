import type { ContentError } from '../search-plan.js';
import type { YamlLocator } from '../yaml-locate.js';
import { sigmaLevels, type SigmaLevel } from './metadata.js';

/** The correlation types tunnelwatch runs (Sigma 2.x); the metric ones (value_sum...) are load errors. */
export const sigmaCorrelationTypes = ['event_count', 'value_count', 'temporal', 'temporal_ordered'] as const;
export type SigmaCorrelationType = (typeof sigmaCorrelationTypes)[number];

export const countOps = ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'] as const;
export type CountOp = (typeof countOps)[number];

/** How many rules one correlation may reference: an event's matched rules are one bit each. */
export const MAX_CORRELATED_RULES = 30;

/** A correlation as written, its rule references not yet resolved (see bind-correlations.ts). */
export interface SigmaCorrelationRule {
  title: string;
  id: string;
  name?: string;
  level: SigmaLevel;
  status: string;
  description: string;
  tags: string[];
  references: string[];
  falsepositives?: string;
  type: SigmaCorrelationType;
  rules: Array<{ ref: string; line: number; col: number }>;
  groupBy: string[];
  timespanSeconds: number;
  /** every criterion must hold (`gt: 100, lte: 200` is a range) */
  condition: Array<[CountOp, number]>;
  /** value_count: the field whose distinct values are counted */
  field?: string;
  /** alias -> rule name or id -> the field that rule's events hold the value in */
  aliases: Record<string, Record<string, string>>;
  /** also run the referenced rules on their own (default false: only the correlation reports) */
  generate: boolean;
  file: string;
  /** where the document's `correlation:` key is */
  at: { line: number; col: number };
  /** position of a correlation key, for binding errors */
  locate: (path: Array<string | number>) => { line: number; col: number };
}

const TIMESPAN = /^(\d+)([smhdw]?)$/;
const unit: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/**
 * One correlation document: its problems each at file:line:col, or the rule. `data` is the parsed
 * document, `locate` its positions (absolute in the file, also in a multi-document file).
 */
export function parseSigmaCorrelation(file: string, data: Record<string, unknown>, locate: YamlLocator): { rule?: SigmaCorrelationRule; errors: ContentError[] } {
  const errors: ContentError[] = [];
  const problem = (path: Array<string | number>, message: string) => errors.push({ file, ...locate.at(path), message });
  const c = isRecord(data.correlation) ? data.correlation : undefined;
  const title = text(data.title);
  if (!title) problem(['title'], 'title: a correlation needs a title');
  const id = text(data.id) ?? text(data.name);
  if (!id) problem(['id'], 'id: a correlation needs an id (or a name)');
  const level = (text(data.level) ?? 'medium').toLowerCase();
  if (!(sigmaLevels as readonly string[]).includes(level)) problem(['level'], `level: '${level}' is not one of ${sigmaLevels.join(', ')}`);
  if (!c) {
    problem(['correlation'], 'correlation: a map with type, rules, group-by, timespan and condition');
    return { errors };
  }
  const at = (key: string) => ['correlation', key];
  const type = text(c.type);
  if (!type) problem(at('type'), `correlation.type: one of ${sigmaCorrelationTypes.join(', ')}`);
  else if (!(sigmaCorrelationTypes as readonly string[]).includes(type)) {
    problem(at('type'), `correlation.type: '${type}' is not supported (supported: ${sigmaCorrelationTypes.join(', ')})`);
  }
  const rules = Array.isArray(c.rules) ? c.rules : typeof c.rules === 'string' ? [c.rules] : [];
  const refs = rules.flatMap((r, i) => {
    if (typeof r === 'string' && r.trim() !== '') return [{ ref: r.trim(), ...locate.at(Array.isArray(c.rules) ? [...at('rules'), i] : at('rules')) }];
    problem([...at('rules'), i], 'correlation.rules: each entry is a rule id or name');
    return [];
  });
  if (rules.length === 0) problem(at('rules'), 'correlation.rules: a list of rule ids or names is required');
  if (refs.length > MAX_CORRELATED_RULES) problem(at('rules'), `correlation.rules: at most ${MAX_CORRELATED_RULES} rules`);
  const groupBy = c['group-by'] === undefined ? [] : Array.isArray(c['group-by']) ? c['group-by'] : [c['group-by']];
  if (!groupBy.every((g): g is string => typeof g === 'string' && g !== '')) problem(at('group-by'), 'correlation.group-by: a list of field names');
  const timespan = c.timespan === undefined ? undefined : TIMESPAN.exec(String(c.timespan).trim());
  if (!timespan || Number(timespan[1]) <= 0) problem(at('timespan'), 'correlation.timespan: a positive number with s, m, h, d or w (90m)');
  const { condition, field } = conditionOf(type, c.condition, refs.length, (path, m) => problem([...at('condition'), ...path], m));
  const aliases = aliasesOf(c.aliases, (path, m) => problem([...at('aliases'), ...path], m));
  for (const key of Object.keys(c)) {
    if (!['type', 'rules', 'group-by', 'timespan', 'condition', 'aliases', 'generate'].includes(key)) problem(['correlation', key], `correlation.${key}: unknown key`);
  }
  if (c.generate !== undefined && typeof c.generate !== 'boolean') problem(at('generate'), 'correlation.generate: true or false');
  if (errors.length > 0 || !title || !id || !timespan) return { errors };
  const list = (value: unknown) => (Array.isArray(value) ? value.map(String) : []);
  return {
    errors,
    rule: {
      title,
      id,
      name: text(data.name),
      level: level as SigmaLevel,
      status: text(data.status) ?? '',
      description: text(data.description) ?? '',
      tags: list(data.tags),
      references: list(data.references),
      falsepositives: Array.isArray(data.falsepositives) ? data.falsepositives.map(String).join('; ') : undefined,
      type: type as SigmaCorrelationType,
      rules: refs,
      groupBy: groupBy as string[],
      timespanSeconds: Number(timespan[1]) * unit[timespan[2]],
      condition,
      field,
      aliases,
      generate: c.generate === true,
      file,
      at: locate.at(['correlation']),
      locate: (path) => locate.at(path),
    },
  };
}

/** `condition:` criteria; temporal types default to every rule seen (`gte: <number of rules>`). */
function conditionOf(
  type: string | undefined,
  written: unknown,
  rules: number,
  problem: (path: string[], message: string) => void,
): { condition: Array<[CountOp, number]>; field?: string } {
  const temporal = type === 'temporal' || type === 'temporal_ordered';
  if (written === undefined) {
    if (!temporal) problem([], `correlation.condition: ${type ?? 'this type'} needs a condition (gte: 10)`);
    return { condition: [['gte', rules]] };
  }
  if (typeof written === 'string') {
    problem([], 'correlation.condition: boolean conditions over rule names (extended temporal) are not supported; write a count such as {gte: 2}');
    return { condition: [] };
  }
  if (!isRecord(written)) {
    problem([], 'correlation.condition: a map such as {gte: 10}');
    return { condition: [] };
  }
  const condition: Array<[CountOp, number]> = [];
  let field: string | undefined;
  for (const [key, value] of Object.entries(written)) {
    if (key === 'field') {
      if (typeof value === 'string' && value !== '') field = value;
      else problem(['field'], 'correlation.condition.field: one field name');
    } else if ((countOps as readonly string[]).includes(key) && typeof value === 'number' && Number.isFinite(value)) {
      condition.push([key as CountOp, value]);
    } else {
      problem([key], `correlation.condition.${key}: ${(countOps as readonly string[]).includes(key) ? 'a number' : `not one of ${countOps.join(', ')}, field`}`);
    }
  }
  if (condition.length === 0) problem([], `correlation.condition: one of ${countOps.join(', ')} is required`);
  if (type === 'value_count' && field === undefined) problem([], 'correlation.condition.field: value_count counts the distinct values of this field');
  if (type !== 'value_count' && field !== undefined) problem(['field'], `correlation.condition.field: only value_count reads a field`);
  return { condition, field };
}

function aliasesOf(written: unknown, problem: (path: string[], message: string) => void): Record<string, Record<string, string>> {
  if (written === undefined) return {};
  if (!isRecord(written)) {
    problem([], 'correlation.aliases: a map alias -> rule name -> field');
    return {};
  }
  const out: Record<string, Record<string, string>> = {};
  for (const [alias, byRule] of Object.entries(written)) {
    if (isRecord(byRule) && Object.values(byRule).every((f) => typeof f === 'string' && f !== '')) out[alias] = byRule as Record<string, string>;
    else problem([alias], `correlation.aliases.${alias}: a map of rule name -> field name`);
  }
  return out;
}

/** Does `count` satisfy every criterion? */
export function conditionHolds(condition: ReadonlyArray<readonly [CountOp, number]>, count: number): boolean {
  return condition.every(([op, n]) =>
    op === 'gt' ? count > n : op === 'gte' ? count >= n : op === 'lt' ? count < n : op === 'lte' ? count <= n : op === 'eq' ? count === n : count !== n,
  );
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What the engine needs of a bound Sigma correlation, beside its steps (BoundCorrelation.sigma). */
export interface SigmaCorrelationSpec {
  type: SigmaCorrelationType;
  condition: Array<[CountOp, number]>;
  /** the finding's BY columns, as written in group-by */
  groupBy: string[];
  /** value_count: the counted field, as written */
  field?: string;
  /** per step detection id: the event field of each group-by entry (in order), and of `field` */
  fields: Record<string, { groupBy: string[]; value?: string }>;
}
