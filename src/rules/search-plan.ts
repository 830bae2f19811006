import type { DatasetName } from '../cim/model.js';

/** Where in a file a piece of SPL or YAML sits: 1-based line and column. */
export interface SourcePosition {
  line: number;
  col: number;
}

/**
 * A boolean search expression over event (or finding) fields, with SPL's semantics:
 * comparisons are case-insensitive, `*` is the only wildcard, an absent field never equals.
 */
export type Expr =
  | { kind: 'and'; terms: Expr[] }
  | { kind: 'or'; terms: Expr[] }
  | { kind: 'not'; term: Expr }
  /** `field=pattern` (op '=') or `field!=pattern` (op '!=': field must exist and differ) */
  | { kind: 'compare'; field: string; op: '=' | '!='; pattern: string }
  /** `field IN (p1, p2, ...)`: OR of `field=p` */
  | { kind: 'in'; field: string; patterns: string[] }
  /**
   * a value test beyond SPL's patterns (Sigma's modifiers): some value of `field` passes `test`;
   * `field` null tests every field of the event (a keyword search)
   */
  | { kind: 'test'; field: string | null; test: ValueTest }
  /** SPL `where` with functions or ordering: true when the value is true (see ValueExpr) */
  | { kind: 'eval'; value: ValueExpr }
  | { kind: 'true' };

/** One piece of a glob: literal text, or a wildcard (`*` any run of characters, `?` exactly one). */
export type GlobToken = string | { wildcard: '*' | '?' };

/** How a `test` leaf judges one value. Plain data (the compiled-content cache stores it as JSON). */
export type ValueTest =
  /** the whole value matches the glob; case-insensitive unless `cased` */
  | { op: 'glob'; tokens: GlobToken[]; cased: boolean }
  /** a linear-time regular expression matches somewhere in the value (flags: `i`, `m`, `s`) */
  | { op: 'regex'; pattern: string; flags: string }
  /** the value is an IPv4 or IPv6 address inside the network */
  | { op: 'cidr'; network: string }
  /** the value is a number and compares so with `value` */
  | { op: 'lt' | 'lte' | 'gt' | 'gte'; value: number }
  /** the field is present with a non-empty value (a leaf's field must not be null) */
  | { op: 'exists' }
  /** the field is absent or empty (Sigma's `null` value) */
  | { op: 'null' }
  /** the value equals, contains, starts or ends with a value of field `other` of the same event */
  | { op: 'fieldref'; other: string; position: 'equals' | 'contains' | 'startswith' | 'endswith'; cased: boolean };

/** The functions `where` and `eval` may call (semantics in src/engine/eval-functions.ts). */
export const evalFunctions = [
  'isnull', 'isnotnull', 'len', 'lower', 'upper', 'mvcount', 'match', 'like', 'cidrmatch',
  'if', 'case', 'coalesce', 'substr', 'split', 'mvindex', 'mvjoin', 'mvdedup', 'replace', 'tonumber', 'tostring',
  'round', 'abs', 'trim', 'ltrim', 'rtrim', 'true', 'false', 'null', 'isnum', 'isstr', 'relative_time',
] as const;
export type EvalFunction = (typeof evalFunctions)[number];

/** `+ - * / %` on numbers; `.` joins text (and `+` joins text when either side is not a number) */
export type ArithmeticOp = '+' | '-' | '*' | '/' | '%' | '.';

/** `<`, `>`, ... compare numbers as numbers and anything else as text; `==`/`!=` compare exactly. */
export type RelationOp = '<' | '<=' | '>' | '>=' | '==' | '!=';

/**
 * A value SPL computes from a row or event's fields: a field (absent = null), a literal, a
 * function call, a relation between two values. Regular expressions (`match`) are linear-time.
 */
export type ValueExpr =
  | { kind: 'field'; name: string }
  | { kind: 'literal'; value: string | number }
  | { kind: 'call'; fn: EvalFunction; args: ValueExpr[] }
  | { kind: 'relation'; op: RelationOp; left: ValueExpr; right: ValueExpr }
  | { kind: 'arithmetic'; op: ArithmeticOp; left: ValueExpr; right: ValueExpr }
  | { kind: 'logic'; op: 'and' | 'or'; terms: ValueExpr[] }
  | { kind: 'not'; value: ValueExpr };

/**
 * A CSV lookup as a lookup definition describes it (ESCU `lookups/*.yml`, Splunk transforms.conf):
 * only the columns a search reads are kept.
 */
export interface LookupTable {
  name: string;
  columns: string[];
  rows: string[][];
  /** per column: `*` in its values matches any run of characters (`match_type = WILDCARD(column)`) */
  wildcard: boolean[];
  caseSensitive: boolean;
  /** fewer matches than this gives the outputs `defaultMatch` */
  minMatches: number;
  maxMatches: number;
  defaultMatch?: string;
}

/** `stats` / `eventstats` aggregates over output rows */
export type RowAggregateFunction = 'count' | 'dc' | 'values' | 'min' | 'max' | 'sum' | 'avg' | 'stdev' | 'earliest' | 'latest';

export interface RowAggregate {
  fn: RowAggregateFunction;
  /** the input column; absent for a bare `count` and for `eval(...)` */
  field?: string;
  /**
   * `fn(eval(expr))`: the input is expr computed on each row (null values are left out, as a
   * missing column's are); `count(eval(condition))` counts the rows where it is true
   */
  value?: ValueExpr;
  as: string;
}

/** A command after the aggregation, applied to the output rows in order. */
export type RowStage =
  /** `search` / `where` / `regex`: the row stays when the expression holds */
  | { kind: 'filter'; expr: Expr }
  /** one `eval` assignment (a command's assignments run left to right, each seeing the last) */
  | { kind: 'eval'; field: string; value: ValueExpr }
  /** `rex field=x "(?<name>...)"`: named groups of the first match become columns (`as`, after renames) */
  | { kind: 'rex'; field: string; pattern: string; groups: Array<{ group: string; as: string }> }
  /** `lookup`: `inputs` match lookup columns to row columns; `overwrite` false is OUTPUTNEW */
  | { kind: 'lookup'; table: LookupTable; inputs: Array<{ column: number; field: string }>; outputs: Array<{ column: number; as: string }>; overwrite: boolean }
  /** `bin`/`bucket span=1h field [as new]`: a number (epoch seconds) down to the start of its span */
  | { kind: 'bin'; field: string; span: number; as: string }
  /** `security_content_ctime` of a column a later command computed: epoch seconds as text */
  | { kind: 'ctime'; field: string }
  /** `stats`: one row per combination of BY values (`field` read, `as` written); the rows before are gone */
  | { kind: 'stats'; aggregates: RowAggregate[]; by: Array<{ field: string; as: string }> }
  /** `eventstats`: every row gains its BY group's aggregates */
  | { kind: 'eventstats'; aggregates: RowAggregate[]; by: string[] }
  /** `dedup`: the first row of each combination of values; rows lacking a field are dropped */
  | { kind: 'dedup'; fields: string[] }
  /** `sort`: stable, numbers as numbers, at most `limit` rows */
  | { kind: 'sort'; keys: Array<{ field: string; descending: boolean }>; limit: number }
  /** `head`: the first `count` rows */
  | { kind: 'head'; count: number }
  /**
   * `join [type=inner|left] <fields> [| tstats ...]`: each row takes the first row of the subsearch
   * (in the order tstats returns it) whose `fields` equal its own (`main` here, `sub` there); the
   * subsearch's `columns` are written (`sub` read, `as` written), over the row's unless not `overwrite`.
   * A row no subsearch row matches is dropped (inner) or kept as it was (left).
   */
  | { kind: 'join'; search: JoinedSearch; type: 'inner' | 'left'; fields: Array<{ main: string; sub: string }>; columns: Array<{ sub: string; as: string }>; overwrite: boolean };

/** A join's subsearch: a second aggregation over the same events, with its own row commands. */
export interface JoinedSearch {
  plan: SearchPlan;
  output: OutputSettings;
}

/** stages that need every row of a detection at once (the others run row by row); a join needs its subsearch's rows too */
export const setStageKinds: ReadonlySet<RowStage['kind']> = new Set(['stats', 'eventstats', 'dedup', 'sort', 'head', 'join']);

/** `earliest(f)` / `latest(f)`: the value of f in the group's earliest / latest event (by _time) */
export type AggregateFunction = 'count' | 'min' | 'max' | 'values' | 'dc' | 'earliest' | 'latest';

/** `count`, `min(_time) as firstTime`, `values(src_port) as src_port`, ... */
export interface AggregateSpec {
  fn: AggregateFunction;
  /** input field (unprefixed; `_time` is the event time); absent for a bare `count` */
  field?: string;
  /** output column name */
  as: string;
}

/** The BY field that names the event itself (where it was read): `--per-event` groups by it. */
export const EVENT_BY = '_event';

export interface ByField {
  /** input field, unprefixed dataset field name; `_time` is the event time */
  field: string;
  /** output column name after drop_dm_object_name / rename */
  as: string;
  /** `_time` only: group by the start of this many seconds' bucket (SPL `span=1h`) */
  span?: number;
}

/**
 * A compiled rule in any rule language: which dataset it reads, which events match, how matching
 * events group and what each group aggregates. Front ends (SPL, Sigma) compile to it; how the rows
 * are shaped for output is the front end's own business (`OutputSettings`).
 */
export interface SearchPlan {
  dataset: DatasetName;
  where: Expr;
  aggregates: AggregateSpec[];
  by: ByField[];
}

/**
 * How a front end shapes the rows a plan outputs: SPL's null handling, time rendering, row filters
 * after the aggregation and its tuning hook. The engine applies these; only the front end decides them.
 */
export interface OutputSettings {
  /**
   * What happens to an event lacking a BY field: tstats with fillnull_value=null groups it under
   * the string `null`; plain `stats` drops it, except where `fillnull` filled it with `0`.
   */
  missingBy: 'fill-null' | 'drop';
  /** a bare `| fillnull` before `stats`: missing fields become `0` (see detections.md) */
  fillnullZero: boolean;
  /** output columns rendered by `security_content_ctime` */
  ctimeFields: string[];
  /** the commands after the aggregation (filters, eval, rex, lookup), applied to output rows in order */
  rowStages: RowStage[];
  /** name of the `<detection>_filter` macro the search ends with, the user's tuning hook */
  filterMacro?: string;
  /** the output columns, in order, when `table` / `fields` chose them; otherwise every column */
  columns?: string[];
}

/** A problem in detection or tuning content, always with a location. */
export interface ContentError {
  file: string;
  line: number;
  col: number;
  message: string;
}
