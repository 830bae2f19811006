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
  /** SPL `where` with functions or ordering: true when the value is true (see ValueExpr) */
  | { kind: 'eval'; value: ValueExpr }
  | { kind: 'true' };

/** The functions `where` (and `eval`) may call. */
export const evalFunctions = ['isnull', 'isnotnull', 'len', 'lower', 'upper', 'mvcount', 'match', 'like', 'cidrmatch'] as const;
export type EvalFunction = (typeof evalFunctions)[number];

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
  | { kind: 'relation'; op: RelationOp; left: ValueExpr; right: ValueExpr };

export type AggregateFunction = 'count' | 'min' | 'max' | 'values' | 'dc';

/** `count`, `min(_time) as firstTime`, `values(src_port) as src_port`, ... */
export interface AggregateSpec {
  fn: AggregateFunction;
  /** input field (unprefixed; `_time` is the event time); absent for a bare `count` */
  field?: string;
  /** output column name */
  as: string;
}

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
  /** `| search ...` / `| where ...` filters applied to output rows, in order */
  rowFilters: Expr[];
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
