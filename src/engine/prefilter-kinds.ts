/**
 * Which detections can match a record of a known kind (RecordKind: its family and <System> fields,
 * found without parsing it). A Sysmon process-creation rule cannot match an image-load record: its
 * dataset's tables do not read that event code, or its plan pins `EventID` to another value. So the
 * prefilter tests a record of known kind against those rules only, and rules with no required
 * literal (which turn the prefilter off for records of unknown kind) cost nothing on other kinds.
 * Exact: a detection is left out only when no event parsed from such a record can satisfy it.
 */
import type { AnyMapping, FieldRule } from '../cim/mapping.js';
import { joinedSearches, type Detection } from '../rules/detection.js';
import { present } from '../cim/values.js';
import type { Expr } from '../rules/search-plan.js';
import type { JsonKindReader, RawEvent, RecordKind, RecordKindProbe } from '../sources/source.js';

/** What the kind test needs of the event families (a Normalizer is one). */
export interface KindCatalog {
  /** the names of its families */
  readonly familyNames: readonly string[];
  mappingsOf(family: string): readonly AnyMapping[];
  eventCode(raw: RawEvent): string | undefined;
}

/** Finds the detections that may match a record of a kind; each detection's plan is read once. */
export class KindIndex<D extends Detection> {
  /**
   * per detection, the searches that read records — its own and each join's subsearch, which reads
   * records of its own data set — with their top-level AND terms a record's <System> fields may decide
   */
  private readonly reads: Array<Array<{ dataset: string; terms: Expr[] }>>;
  /** every value those terms compare with and every event code a table names, lowercased */
  private readonly mentioned = new Set<string>();

  constructor(
    private readonly detections: readonly D[],
    private readonly catalog: KindCatalog,
  ) {
    this.reads = detections.map((d) => [d, ...joinedSearches(d)].map((search) => ({ dataset: search.plan.dataset, terms: conjuncts(search.plan.where).filter(mayDecide) })));
    for (const term of this.reads.flat().flatMap((r) => r.terms)) for (const pattern of patternsOf(term)) this.mentioned.add(pattern.toLowerCase());
    for (const family of catalog.familyNames) for (const m of catalog.mappingsOf(family)) if (m.events !== '*') for (const e of m.events) this.mentioned.add(e.toLowerCase());
  }

  /** the values canonical kinds keep (every other one is UNNAMED) */
  get mentionedValues(): string[] {
    return [...this.mentioned];
  }

  canonical(kind: RecordKind): RecordKind {
    return canonicalKind(kind, this.mentioned);
  }

  /**
   * The canonical kinds of records whose <System> has one field the tables copy and that names the
   * event code (a Windows JSON line's or XML event's `EventID`), for every code a table reads or a
   * term compares that field with (a passthrough table's `EventID=7`), for every other value a
   * canonical kind keeps (any term's: the RDP rule's `LogonType=10` keeps Sysmon's EventID 10
   * apart), and for the unnamed ones: the kinds probes report, whose tests a run can build ahead
   * and save. A kind left out has its test built when a record of it is met, which costs that run
   * the index of every detection's plan (~20 ms with the story's rules). Kept values are lowercased,
   * and a kind's key keeps the record's case: an event name with capitals is covered by its
   * table's spelling, and the lowercased one costs only a test built ahead for nothing.
   */
  likelyKinds(): RecordKind[] {
    const kinds: RecordKind[] = [];
    const terms = this.reads.flat().flatMap((r) => r.terms);
    for (const family of this.catalog.familyNames) {
      const tables = this.catalog.mappingsOf(family);
      // per <System> field, the dataset fields copied from it
      const copies = new Map<string, Set<string>>();
      for (const m of tables) {
        for (const [field, rule] of Object.entries(m.fields as Readonly<Record<string, FieldRule>>)) {
          if (typeof rule === 'object' && 'system' in rule) copies.set(rule.system, (copies.get(rule.system) ?? new Set()).add(field));
        }
      }
      const tableCodes = tables.flatMap((m) => (m.events === '*' ? [] : m.events));
      for (const [name, fields] of copies) {
        const compared = terms.flatMap((term) => patternsOf(term, fields)).filter((p) => !p.includes('*'));
        for (const code of new Set([UNNAMED, ...tableCodes, ...compared, ...this.mentioned])) {
          const kind = { family, system: { [name]: code } };
          if (this.catalog.eventCode({ ...kind, data: {}, location: { file: '', offset: 0 } }) === code) kinds.push(kind);
        }
      }
    }
    return kinds;
  }

  /**
   * What the test of records of `kind` is built from: the detections that may match such a record
   * (all of them when its event code is unknown) and, of the tables normalize may apply to it (its
   * data source is not known: every source's that reads its event code, or any when that is
   * unknown), those of the datasets these detections read, which decide the test's vetoes.
   */
  subjectOf(kind: RecordKind): KindSubject<D> {
    const code = present(this.catalog.eventCode({ family: kind.family, system: { ...kind.system }, data: {}, location: { file: '', offset: 0 } }));
    const familyTables = this.catalog.mappingsOf(kind.family);
    const kindTables = code === undefined ? familyTables : familyTables.filter((m) => m.events === '*' || m.events.includes(code));
    const byDataset = new Map<string, AnyMapping[]>();
    for (const m of kindTables) byDataset.set(m.dataset, [...(byDataset.get(m.dataset) ?? []), m]);
    const mayMatch = (i: number) => this.reads[i].some(({ dataset, terms }) => byDataset.get(dataset)?.some((t) => terms.every((term) => holds(term, t, kind.system) !== false)) === true);
    const indexes = this.detections.map((_, i) => i).filter((i) => code === undefined || mayMatch(i));
    const datasets = new Set(indexes.flatMap((i) => this.reads[i].map((read) => read.dataset)));
    const tables = kindTables.filter((t) => datasets.has(t.dataset));
    return {
      detections: indexes.map((i) => this.detections[i]),
      tables,
      key: `${kind.family}\0${tables.map((t) => familyTables.indexOf(t)).join(',')}\0${indexes.join(',')}`,
    };
  }
}

/** What a kind's test is built from (KindIndex.subjectOf); kinds whose `key` is the same share one test. */
export interface KindSubject<D> {
  detections: D[];
  tables: AnyMapping[];
  key: string;
}

/** a value no rule or table names (not a valid event code of any source) */
const UNNAMED = '\u0000unnamed';

/**
 * The kind with every <System> value that is not `mentioned` (lowercased: no term compares with it
 * and no table names it) replaced by one stand-in: the same detections match it, so such kinds (most
 * event codes) share one entry.
 */
export function canonicalKind(kind: RecordKind, mentioned: ReadonlySet<string>): RecordKind {
  const system: Record<string, string> = {};
  for (const [name, value] of Object.entries(kind.system)) system[name] = mentioned.has(value.toLowerCase()) ? value : UNNAMED;
  return { family: kind.family, system };
}

/** the values a term compares fields with (only these `fields` when given) */
function patternsOf(term: Expr, fields?: ReadonlySet<string>): string[] {
  if (term.kind === 'compare' || term.kind === 'in') return fields && !fields.has(term.field) ? [] : term.kind === 'compare' ? [term.pattern] : term.patterns;
  return term.kind === 'or' || term.kind === 'and' ? term.terms.flatMap((t) => patternsOf(t, fields)) : [];
}

/** a comparison of field values, or an AND / OR of only such: what `holds` may decide */
function mayDecide(term: Expr): boolean {
  if (term.kind === 'compare' || term.kind === 'in') return true;
  return (term.kind === 'or' || term.kind === 'and') && term.terms.every(mayDecide);
}

/** An expression's top-level AND terms. */
function conjuncts(expr: Expr): Expr[] {
  return expr.kind === 'and' ? expr.terms.flatMap(conjuncts) : [expr];
}

/**
 * Whether `term` holds on the event `table` makes of a record with these <System> fields, when that
 * is decided by them (a field the table copies from <System> or sets to a constant, compared with
 * values without wildcards); undefined when it is not.
 */
function holds(term: Expr, table: AnyMapping, system: Record<string, string>): boolean | undefined {
  switch (term.kind) {
    case 'compare':
      return term.op === '=' ? isOneOf(term.field, [term.pattern], table, system) : undefined;
    case 'in':
      return isOneOf(term.field, term.patterns, table, system);
    case 'or':
      return term.terms.every((t) => holds(t, table, system) === false) ? false : undefined;
    case 'and':
      return term.terms.some((t) => holds(t, table, system) === false) ? false : undefined;
    default:
      return undefined;
  }
}

function isOneOf(field: string, patterns: string[], table: AnyMapping, system: Record<string, string>): boolean | undefined {
  const rule = (table.fields as Readonly<Record<string, FieldRule>>)[field];
  if (typeof rule !== 'object' || !('system' in rule || 'value' in rule)) return undefined;
  // an absent value (`-`...) leaves a passthrough table's payload field of the same name in place
  const value = present('system' in rule ? system[rule.system] : rule.value);
  if (value === undefined || patterns.some((p) => p.includes('*'))) return undefined;
  const lowered = value.toLowerCase();
  return patterns.some((p) => p.toLowerCase() === lowered);
}

const probes = new WeakMap<readonly JsonKindReader[], RecordKindProbe>();

/** A JSON line's kind from the families' readers: the first reader's answer (each reader's claim holds on its own). One probe per reader list. */
export function jsonKindProbe(readers: readonly JsonKindReader[]): RecordKindProbe {
  const known = probes.get(readers);
  if (known !== undefined) return known;
  const probe: RecordKindProbe = (bytes, start, end) => {
    for (const reader of readers) {
      const kind = reader.probe(bytes, start, end);
      if (kind !== undefined) return kind;
    }
    return undefined;
  };
  probes.set(readers, probe);
  return probe;
}
