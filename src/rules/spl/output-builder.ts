import type { Expr, OutputSettings } from '../search-plan.js';
import { compileLinearRegex } from '../linear-regex.js';
import type { SplError, Token } from './lexer.js';
import { describe, errorAt, mapFields, TokenCursor } from './parser.js';
import { parseExpr, type ExprMode, type FieldResolver } from './expression-parser.js';

/** An output column; aggregates, BY fields and ctime entries share it so renames reach all of them. */
export interface Column {
  name: string;
  /** left out of the output by `table` / `fields`: still a group key, no longer a column */
  hidden?: boolean;
  /** an aggregate's column (a BY column is a group key: nothing overwrites it) */
  aggregate?: boolean;
  /** an aggregate column another column overwrote (`drop_dm_object_name`): the plan leaves it out */
  dropped?: boolean;
}

/**
 * The commands after the aggregating one (tstats, or stats in a raw search): they shape the rows
 * it outputs. Collects every error; `settings()` is the SPL output the engine applies.
 */
export class OutputStageBuilder {
  private ctime: Column[] = [];
  /** the order `table` gave the columns */
  private columnOrder?: Column[];
  private rowFilters: Expr[] = [];
  private filterMacro?: string;

  constructor(
    private readonly errors: SplError[],
    /** the aggregation's columns, BY fields first, dropped ones included */
    private readonly planColumns: () => Column[],
  ) {}

  /** a row command (after the aggregation); false when `name` is not one */
  command(head: Token, name: string, args: Token[]): boolean {
    switch (name) {
      case 'rename':
        this.rename(head, args);
        return true;
      case 'search':
      case 'where':
        this.filter(head, args, name);
        return true;
      case 'fields':
      case 'table':
        this.selectColumns(head, args, name);
        return true;
      case 'regex':
        this.regex(head, args);
        return true;
      default:
        return false;
    }
  }

  filterMacroCommand(name: string, at: Token, isLast: boolean): void {
    if (!isLast) this.errors.push(errorAt(at, `filter macro \`${name}\` must be the last command`));
    this.filterMacro = name;
  }

  /** Splunk's rename overwrites: `values(Processes.process) as process ... by Processes.process` keeps the BY value */
  dropDmObjectName(object: string): void {
    for (const column of this.columns()) {
      if (!column.name.startsWith(`${object}.`)) continue;
      const to = column.name.slice(object.length + 1);
      const overwritten = this.allColumns().find((c) => c.name === to && c.aggregate);
      if (overwritten) this.drop(overwritten);
      this.renameColumn(column, to);
    }
  }

  /** `convert ctime(x)` of a column the search does not have does nothing in Splunk either */
  ctimeColumn(name: string): void {
    const column = this.findColumn(name);
    if (column && !this.ctime.includes(column)) this.ctime.push(column);
  }

  settings(base: Pick<OutputSettings, 'missingBy' | 'fillnullZero'>): OutputSettings {
    const output: OutputSettings = {
      ...base,
      ctimeFields: this.ctime.map((c) => c.name),
      rowFilters: this.rowFilters,
    };
    if (this.filterMacro) output.filterMacro = this.filterMacro;
    if (this.allColumns().some((c) => c.hidden) || this.columnOrder) {
      const visible = this.columns();
      output.columns = this.columnOrder ? this.columnOrder.filter((c) => visible.includes(c)).map((c) => c.name) : visible.map((c) => c.name);
    }
    return output;
  }

  checkColumnsUnique(aggregatedAt: Token | undefined): void {
    const seen = new Set<string>();
    for (const column of this.allColumns()) {
      if (seen.has(column.name) && aggregatedAt) this.errors.push(errorAt(aggregatedAt, `output column ${column.name} is produced twice`));
      seen.add(column.name);
    }
  }

  private columnResolver(): FieldResolver {
    return (name, at) => {
      if (this.findColumn(name)) return name;
      return errorAt(at, `no output column ${name} (columns: ${this.columns().map((col) => col.name).join(', ')})`);
    };
  }

  private rename(head: Token, args: Token[]): void {
    const c = new TokenCursor(args, head);
    if (c.atEnd()) c.fail(undefined, 'rename needs `A as B`');
    while (!c.atEnd()) {
      if (c.accept('comma')) continue;
      const from = c.fieldName('a column name to rename');
      if (!from) {
        c.next();
        continue;
      }
      if (!c.acceptKeyword('as')) {
        c.fail(c.peek(), `expected \`as\` after rename ${from.text}, found ${describe(c.peek())}`);
        while (!c.atEnd() && c.next()!.kind !== 'comma');
        continue;
      }
      const to = c.fieldName('a new column name');
      if (!to) continue;
      const column = this.findColumn(from.text);
      if (!column) c.fail(from, `rename: no output column ${from.text}`);
      else if (to.text !== from.text && this.findColumn(to.text)) c.fail(to, `rename: output column ${to.text} already exists`);
      else this.renameColumn(column, to.text);
    }
    this.errors.push(...c.errors);
  }

  private filter(head: Token, args: Token[], mode: ExprMode): void {
    const c = new TokenCursor(args, head);
    if (c.atEnd()) c.fail(undefined, `${mode} needs an expression`);
    const expr = c.atEnd() ? null : parseExpr(c, mode, this.columnResolver());
    this.errors.push(...c.errors);
    if (expr) this.rowFilters.push(expr);
  }

  /** the columns a later command can name: every one `table` / `fields` kept */
  private columns(): Column[] {
    return this.allColumns().filter((c) => !c.hidden);
  }

  private allColumns(): Column[] {
    return this.planColumns().filter((c) => !c.dropped);
  }

  /**
   * `table a b` keeps those columns in that order; `fields a b` keeps them; `fields - a b` drops
   * them. A name may end in `*` (a prefix). A name matching no column is ignored, as Splunk does.
   */
  private selectColumns(head: Token, args: Token[], name: 'fields' | 'table'): void {
    let remove = false;
    let rest = args;
    if (name === 'fields' && (args[0]?.text === '-' || args[0]?.text === '+')) {
      remove = args[0].text === '-';
      rest = args.slice(1);
    }
    const patterns: string[] = [];
    for (const token of rest) {
      if (token.kind === 'comma') continue;
      if (token.kind !== 'word' && token.kind !== 'string') {
        this.errors.push(errorAt(token, `expected a column name in ${name}, found ${describe(token)}`));
        return;
      }
      patterns.push(token.text);
    }
    if (patterns.length === 0) {
      this.errors.push(errorAt(head, `${name} needs column names`));
      return;
    }
    const matchers = patterns.map(columnPattern);
    const chosen = (c: Column) => matchers.some((m) => m(c.name));
    for (const column of this.columns()) if (chosen(column) === remove) column.hidden = true;
    if (name === 'table') {
      const order: Column[] = [];
      for (const matcher of matchers) for (const column of this.columns()) if (matcher(column.name) && !order.includes(column)) order.push(column);
      this.columnOrder = order;
    }
  }

  /** `regex field="re"` keeps rows where the column matches, `field!="re"` where it does not */
  private regex(head: Token, args: Token[]): void {
    const [field, op, pattern] = args;
    if (args.length !== 3 || field.kind !== 'word' || (op.kind !== 'eq' && op.kind !== 'neq') || pattern.kind !== 'string') {
      this.errors.push(errorAt(args[0] ?? head, 'regex needs `column="regular expression"` or `column!="regular expression"`'));
      return;
    }
    if (!this.findColumn(field.text)) {
      this.errors.push(errorAt(field, `no output column ${field.text} (columns: ${this.columns().map((col) => col.name).join(', ')})`));
      return;
    }
    const compiled = compileLinearRegex(pattern.text);
    if (!compiled.ok) {
      this.errors.push(errorAt(pattern, `regex: ${compiled.reason}`));
      return;
    }
    const match: Expr = { kind: 'eval', value: { kind: 'call', fn: 'match', args: [{ kind: 'field', name: field.text }, { kind: 'literal', value: pattern.text }] } };
    this.rowFilters.push(op.kind === 'eq' ? match : { kind: 'not', term: match });
  }

  private findColumn(name: string): Column | undefined {
    return this.columns().find((col) => col.name === name);
  }

  private drop(column: Column): void {
    column.dropped = true;
    this.ctime = this.ctime.filter((c) => c !== column);
  }

  /** earlier row filters were written against the old name, so they follow the rename */
  private renameColumn(column: Column, to: string): void {
    const from = column.name;
    column.name = to;
    this.rowFilters = this.rowFilters.map((expr) => mapFields(expr, (f) => (f === from ? to : f)));
  }
}

/** a column name, or a prefix ending in `*` (`Processes.*`): column names are rule text, not log data */
function columnPattern(pattern: string): (name: string) => boolean {
  if (!pattern.endsWith('*')) return (name) => name === pattern;
  const prefix = pattern.slice(0, -1);
  return (name) => name.startsWith(prefix);
}
