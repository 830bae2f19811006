/**
 * Which CIM fields hold text the raw record holds as the log wrote it, derived from the mapping
 * tables: the prefilter searches raw records for a rule's literals on those fields only. A new
 * mapping therefore cannot make the prefilter wrong: a field it computes in a way the tables do not
 * declare verbatim (see FieldRule) makes that field's literals unusable, never wrongly usable.
 */
import type { DataSourceDescriptor } from './family-mappings.js';
import type { AnyMapping, FieldRule } from './mapping.js';
import type { DatasetName } from './model.js';

/** The mapping tables of a set of event families and their data sources (a `Normalizer` is one). */
export interface MappingCatalog {
  readonly mappings: readonly AnyMapping[];
  dataSource(name: string): DataSourceDescriptor | undefined;
}

/**
 * How a literal a rule requires of a field's value can be found in the raw record. Undefined (no
 * guard): it cannot. `joins`: characters that may begin a piece of the value taken from another raw
 * field; `inserts`: characters the value may hold that are in no raw field. Cut before each `joins`
 * character and at each `inserts` one, every piece of the literal is in the record. `wholeNumber`:
 * the value may be a number EVTX stores in binary, found by its binary forms only as a whole decimal
 * number, never as a part of one.
 */
export interface LiteralGuard {
  readonly joins: string;
  readonly inserts: string;
  readonly wholeNumber: boolean;
}

const VERBATIM: LiteralGuard = { joins: '', inserts: '', wholeNumber: false };

const union = (a: string, b: string) => [...new Set(a + b)].join('');

/** One guard that holds wherever either holds; undefined when either is. */
function both(a: LiteralGuard | undefined, b: LiteralGuard | undefined): LiteralGuard | undefined {
  if (a === undefined || b === undefined) return undefined;
  return { joins: union(a.joins, b.joins), inserts: union(a.inserts, b.inserts), wholeNumber: a.wholeNumber || b.wholeNumber };
}

/** A payload field copied as written: verbatim in every format, unless EVTX stores it typed. */
function payloadGuard(family: DataSourceDescriptor, field: string): LiteralGuard | undefined {
  const typed = family.evtxTyped[field];
  if (typed === undefined) return VERBATIM;
  return typed === 'number' ? { ...VERBATIM, wholeNumber: true } : undefined;
}

function allOf(family: DataSourceDescriptor, fields: readonly string[], cuts: LiteralGuard = VERBATIM): LiteralGuard | undefined {
  return fields.reduce<LiteralGuard | undefined>((guard, field) => both(guard, payloadGuard(family, field)), cuts);
}

/** The guard of one table's rule for one field. */
export function ruleGuard(family: DataSourceDescriptor, rule: FieldRule): LiteralGuard | undefined {
  if (typeof rule === 'string') return payloadGuard(family, rule);
  if (typeof rule === 'function') return undefined;
  if ('firstOf' in rule) return allOf(family, rule.firstOf);
  if ('partOf' in rule) return payloadGuard(family, rule.partOf);
  if ('piecesOf' in rule) return allOf(family, rule.piecesOf, { joins: rule.joins ?? '', inserts: rule.inserts ?? '', wholeNumber: false });
  // a System field (EVTX templates may hold it outside the record), a constant, a transform
  return undefined;
}

/** The guard of a field in one table: absent means the table never gives the field (no constraint). */
function tableGuard(mapping: AnyMapping, source: DataSourceDescriptor, field: string): { gives: boolean; guard?: LiteralGuard } {
  const rule = (mapping.fields as Readonly<Record<string, FieldRule>>)[field];
  if (!mapping.passthrough) return rule === undefined ? { gives: false } : { gives: true, guard: ruleGuard(source, rule) };
  // a passthrough table also copies the payload field of the same name when the rule gives nothing
  const passed = payloadGuard(source, field);
  return { gives: true, guard: rule === undefined ? passed : both(ruleGuard(source, rule), passed) };
}

/**
 * The guard for a literal on `field` of `dataset`: one that holds for every table that gives the
 * field, so for every event a detection on the dataset can match. Undefined when some table's
 * value is not in the raw record, or when no table gives the field at all.
 */
export function literalGuard(dataset: DatasetName, field: string, catalog: MappingCatalog): LiteralGuard | undefined {
  let guard: LiteralGuard | undefined;
  let given = false;
  for (const mapping of catalog.mappings) {
    if (mapping.dataset !== dataset) continue;
    const source = catalog.dataSource(mapping.family);
    // a table of an undeclared data source (a registration mistake the Normalizer refuses): fail safe
    if (source === undefined) return undefined;
    const table = tableGuard(mapping, source, field);
    if (!table.gives) continue;
    guard = given ? both(guard, table.guard) : table.guard;
    given = true;
    if (guard === undefined) return undefined;
  }
  return guard;
}

/**
 * The pieces of `literal` (a run of a rule's pattern, as the value must contain it) each of which
 * the raw record must contain under `guard`: the literal cut before each `joins` and at each
 * `inserts` character, or the literal itself when it is a whole decimal number of a binary-stored
 * number field; undefined when none is known. `whole`: the literal is the pattern's entire value.
 */
export function guardedPieces(guard: LiteralGuard, literal: string, whole: boolean): string[] | undefined {
  if (guard.wholeNumber && !(whole && /^(0|[1-9]\d*)$/.test(literal))) return undefined;
  if (guard.joins === '' && guard.inserts === '') return [literal];
  const pieces: string[] = [];
  let start = 0;
  for (let i = 0; i < literal.length; i++) {
    const inserted = guard.inserts.includes(literal[i]);
    if (!inserted && !guard.joins.includes(literal[i])) continue;
    if (i > start) pieces.push(literal.slice(start, i));
    start = inserted ? i + 1 : i;
  }
  if (literal.length > start) pieces.push(literal.slice(start));
  return pieces;
}
