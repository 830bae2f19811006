/**
 * Vetoes: the terms of a search that a few payload fields decide, tested on those fields' values as
 * a record's bytes give them (RecordKind.payload) when the exact test finds the record holds the
 * literals a detection requires (prefilter-tests.ts). A record whose literals meet only vetoed
 * requirements is not parsed. SigmaHQ's side-loading rule requires one of ~420 DLL names anywhere in
 * an image load and then rules out every one loaded from System32: on the OTRF set three image
 * loads of four meet its literals and every such one fails its filter, each costing a parse.
 *
 * Exact: a veto is a top-level AND term of the search (`not (a or b)` counts as `not a and not b`)
 * reading a few fields, each of which every table of the search's dataset that may apply to the
 * record (those of its kind: prefilter-by-kind.ts) copies from one payload field as it is, or sets
 * to one value (a table computing one, or leaving it out, and there is no veto); the term is
 * evaluated as the detector does, on an event holding those fields alone.
 */
import type { AnyMapping, FieldRule } from '../cim/mapping.js';
import type { DatasetName } from '../cim/model.js';
import { present } from '../cim/values.js';
import type { Expr } from '../rules/search-plan.js';
import type { PayloadReader } from '../sources/source.js';
import { compilePredicate, LoweredFields, type Fields, type Predicate } from './predicate.js';

/** a term of a search that payload fields decide: the search cannot match an event where it is false */
export interface Veto {
  /** the payload fields the term's fields are copied from, in the order of `fields` */
  keys: string[];
  /** the dataset fields the term reads from the payload */
  fields: string[];
  /** the dataset fields it reads that every table sets to one value (4624's `signature_id`), with it */
  constants: Array<[field: string, value: string]>;
  term: Expr;
}

/** fields a veto's term may read: a term reading more is rarely decided by a record's payload alone */
const MAX_VETO_FIELDS = 4;

/** The vetoes of a search over `dataset`, for records to which only `tables` may apply. */
export function vetoesOf(where: Expr, dataset: DatasetName, tables: readonly AnyMapping[]): Veto[] {
  const ofDataset = tables.filter((t) => t.dataset === dataset);
  if (ofDataset.length === 0) return [];
  const vetoes: Veto[] = [];
  for (const term of conjuncts(where)) {
    const read = fieldsOf(term);
    if (read === undefined || read.length > MAX_VETO_FIELDS) continue;
    const veto: Veto = { keys: [], fields: [], constants: [], term };
    for (const field of read) {
      const key = payloadKey(field, ofDataset);
      const constant = key === undefined ? constantOf(field, ofDataset) : undefined;
      if (key !== undefined) {
        veto.keys.push(key);
        veto.fields.push(field);
      } else if (constant !== undefined) veto.constants.push([field, constant]);
      else break;
    }
    // a term of constants alone is the kind test's to decide (prefilter-kinds.ts)
    if (veto.keys.length > 0 && veto.keys.length + veto.constants.length === read.length) vetoes.push(veto);
  }
  return vetoes;
}

/** The terms an expression is the AND of, `not` pushed through OR (De Morgan: the predicate's `not` is plain negation). */
function conjuncts(expr: Expr): Expr[] {
  if (expr.kind === 'and') return expr.terms.flatMap(conjuncts);
  if (expr.kind === 'not' && expr.term.kind === 'or') return expr.term.terms.flatMap((term) => conjuncts({ kind: 'not', term }));
  if (expr.kind === 'not' && expr.term.kind === 'not') return conjuncts(expr.term.term);
  return [expr];
}

/** the fields a term of field tests reads (a keyword, which reads every field, or an eval: undefined) */
function fieldsOf(term: Expr): string[] | undefined {
  const fields = new Set<string>();
  const walk = (e: Expr): boolean => {
    switch (e.kind) {
      case 'and':
      case 'or':
        return e.terms.every(walk);
      case 'not':
        return walk(e.term);
      case 'compare':
      case 'in':
        fields.add(e.field);
        return true;
      case 'test':
        if (e.field === null) return false;
        fields.add(e.field);
        if (e.test.op === 'fieldref') fields.add(e.test.other);
        return true;
      case 'eval':
      case 'true':
        return false;
    }
  };
  // `__proto__` is no field an event can hold (normalize.ts skips it)
  return walk(term) && fields.size > 0 && !fields.has('__proto__') ? [...fields] : undefined;
}

/** the payload field every table copies `field` from unchanged (`present` aside), if they agree */
function payloadKey(field: string, tables: readonly AnyMapping[]): string | undefined {
  let key: string | undefined;
  for (const table of tables) {
    const rule = (table.fields as Readonly<Record<string, FieldRule>>)[field];
    // a passthrough table copies the payload field of the same name, unless a rule of its own sets it
    const copied = table.passthrough ? (rule === undefined ? field : undefined) : typeof rule === 'string' ? rule : undefined;
    if (copied === undefined || (key !== undefined && key !== copied)) return undefined;
    key = copied;
  }
  return key;
}

/** the value every table sets `field` to, if they agree on one (absent values aside) */
function constantOf(field: string, tables: readonly AnyMapping[]): string | undefined {
  let value: string | undefined;
  for (const table of tables) {
    const rule = (table.fields as Readonly<Record<string, FieldRule>>)[field];
    const set = typeof rule === 'object' && 'value' in rule ? present(rule.value) : undefined;
    if (set === undefined || (value !== undefined && value !== set)) return undefined;
    value = set;
  }
  return value;
}

/**
 * The fields of an event holding at most one field, for a veto's term reading one: one object
 * reused for every record, where a LoweredFields per record would build a Map each time. Its
 * `fields` stay empty: only an `eval` reads them, and no veto holds one.
 */
class OneField extends LoweredFields {
  private name = '';
  private value: string | undefined;
  private valueList: string[] = [];
  private loweredList: string[] = [];

  constructor() {
    super({});
  }

  /** the event's one field, or none (`value` undefined) */
  hold(name: string, value: string | undefined): void {
    this.name = name;
    // a detection's vetoes mostly read one field: its value is lowercased once
    if (value === this.value) return;
    this.value = value;
    if (value !== undefined) {
      this.valueList = [value];
      this.loweredList = [value.toLowerCase()];
    }
  }

  override raw(field: string): readonly string[] | undefined {
    return field === this.name && this.value !== undefined ? this.valueList : undefined;
  }

  override names(): string[] {
    return this.value === undefined ? [] : [this.name];
  }

  override get(field: string): string[] | undefined {
    return field === this.name && this.value !== undefined ? this.loweredList : undefined;
  }
}

/** A requirement's vetoes, each term compiled on first use. */
export class VetoTest {
  private readonly predicates: Array<Predicate | undefined>;
  private readonly event = new OneField();

  constructor(private readonly vetoes: readonly Veto[]) {
    this.predicates = vetoes.map(() => undefined);
  }

  /** whether some veto's term is false on the values `read` gives for its fields (a field it is not sure of decides nothing) */
  rulesOut(read: PayloadReader): boolean {
    for (let i = 0; i < this.vetoes.length; i++) {
      const { keys, fields, constants } = this.vetoes[i];
      let event: LoweredFields;
      if (keys.length === 1 && constants.length === 0) {
        const raw = read(keys[0]);
        if (raw === undefined) continue;
        this.event.hold(fields[0], present(raw));
        event = this.event;
      } else {
        const values: Fields = Object.fromEntries(constants);
        let sure = true;
        for (let k = 0; k < keys.length && sure; k++) {
          const raw = read(keys[k]);
          if (raw === undefined) sure = false;
          else {
            const value = present(raw);
            if (value !== undefined) values[fields[k]] = value;
          }
        }
        if (!sure) continue;
        event = new LoweredFields(values);
      }
      const predicate = (this.predicates[i] ??= compilePredicate(this.vetoes[i].term));
      if (!predicate(event.fields, event)) return true;
    }
    return false;
  }
}
