import type { Expr, OutputSettings, RowStage } from '../search-plan.js';
import { compileLinearRegex } from '../linear-regex.js';
import type { SplError, Token } from './lexer.js';
import { describe, errorAt, isKeyword, TokenCursor, type FieldResolver } from './parser.js';
import { parseExpr, type ExprMode } from './expression-parser.js';
import { isCondition, ValueParser } from './value-parser.js';
import { parseLookup, type LookupLibrary } from './lookup-command.js';
import { columnPattern, renameInStage, renameStatsOutput } from './stage-fields.js';
import { parseDedup, parseHead, parseSort, parseStats } from './set-commands.js';
import { parseBin } from './bin-command.js';
import { joinStage, type JoinAst } from './join-command.js';
import { keyColumns, rowColumns } from '../plan-fields.js';

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
  private stages: RowStage[] = [];
  /** columns the row commands create (eval, rex, lookup), after the aggregation's */
  private computed: Column[] = [];
  /** after `stats`: its columns replace the aggregation's */
  private statsColumns?: Column[];
  /** index of the last `stats` stage: renames after it do not reach the commands before it */
  private statsAt = -1;
  private filterMacro?: string;

  constructor(
    private readonly errors: SplError[],
    /** the aggregation's columns, BY fields first, dropped ones included */
    private readonly planColumns: () => Column[],
    private readonly lookups?: LookupLibrary,
  ) {}

  /** the row commands (after the aggregation), each with the method that compiles it */
  private readonly rowCommands: Readonly<Record<string, (head: Token, args: Token[]) => void>> = {
    rename: (head, args) => this.rename(head, args),
    search: (head, args) => this.filter(head, args, 'search'),
    where: (head, args) => this.filter(head, args, 'where'),
    fields: (head, args) => this.selectColumns(head, args, 'fields'),
    table: (head, args) => this.selectColumns(head, args, 'table'),
    regex: (head, args) => this.regex(head, args),
    eval: (head, args) => this.eval(head, args),
    rex: (head, args) => this.rex(head, args),
    lookup: (head, args) => this.lookup(head, args),
    stats: (head, args) => this.stats(head, args, 'stats'),
    eventstats: (head, args) => this.stats(head, args, 'eventstats'),
    dedup: (head, args) => this.setCommand(head, args, 'dedup'),
    sort: (head, args) => this.setCommand(head, args, 'sort'),
    head: (head, args) => this.setCommand(head, args, 'head'),
    bin: (head, args) => this.bin(head, args),
    bucket: (head, args) => this.bin(head, args),
  };

  /** a row command (after the aggregation); false when `name` is not one */
  command(head: Token, name: string, args: Token[]): boolean {
    if (!Object.hasOwn(this.rowCommands, name)) return false;
    this.rowCommands[name](head, args);
    return true;
  }

  /**
   * The `<detection>_filter` tuning hook. ESCU puts it last; where a file puts it earlier, Splunk
   * runs its (by default empty) search there, and tunnelwatch applies the tuning to the final rows.
   */
  filterMacroCommand(name: string, at: Token): void {
    if (this.filterMacro !== undefined && this.filterMacro !== name) this.fail(at, `a second tuning filter macro (\`${this.filterMacro}\` came first): a detection has one`);
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

  /** `join`: the subsearch's columns become the rows' (join-command.ts) */
  join(head: Token, ast: JoinAst): void {
    const keys = keyColumns(this.planColumns().filter((c) => !c.aggregate).map((c) => c.name), this.stages);
    const stage = joinStage(ast, head, { columns: this.columns().map((c) => c.name), keys }, (at, message) => this.fail(at, message));
    // refused, the join's columns still exist for the commands after it: its own error is the one reported
    for (const name of stage ? stage.columns.map((c) => c.as) : rowColumns(ast.search.plan, ast.search.output)) this.define(name, head);
    if (stage) this.stages.push(stage);
  }

  /** `convert ctime(x)` of a column the search does not have does nothing in Splunk either */
  ctimeColumn(name: string): void {
    const column = this.findColumn(name);
    if (!column) return;
    // the aggregation's own columns are rendered as rows leave it; a computed one where the macro stands
    if (this.statsColumns || this.computed.includes(column)) this.stages.push({ kind: 'ctime', field: column.name });
    else if (!this.ctime.includes(column)) this.ctime.push(column);
  }

  settings(base: Pick<OutputSettings, 'missingBy' | 'fillnullZero'>): OutputSettings {
    const output: OutputSettings = {
      ...base,
      ctimeFields: this.ctime.map((c) => c.name),
      rowStages: this.stages,
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
      return errorAt(at, this.noColumn(name));
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
    const expr = c.atEnd() ? null : parseExpr(c, mode, this.columnResolver(), { rows: true });
    this.errors.push(...c.errors);
    if (expr) this.stages.push({ kind: 'filter', expr });
  }

  /**
   * `eval a = expr, b = expr`: assignments run left to right, each seeing the columns the last
   * one wrote. Splunk refuses to store a truth value ("Fields cannot be assigned a boolean
   * result"), and so does this.
   */
  private eval(head: Token, args: Token[]): void {
    const c = new TokenCursor(args, head);
    if (c.atEnd()) c.fail(undefined, 'eval needs `field = expression`');
    while (!c.atEnd()) {
      const target = c.fieldName('a column name to assign');
      if (!target) break;
      if (!c.accept('eq')) {
        c.fail(c.peek(), `expected \`=\` after eval ${target.text}, found ${describe(c.peek())}`);
        break;
      }
      const parser = new ValueParser(c, this.columnResolver());
      const value = parser.expression();
      parser.finish();
      if (value && isCondition(value)) c.fail(target, `eval ${target.text}: a column cannot hold a truth value; use if(condition, value, otherwise)`);
      else if (value) {
        this.define(target.text, target);
        this.stages.push({ kind: 'eval', field: target.text, value });
      }
      if (!c.atEnd() && !c.accept('comma')) {
        c.fail(c.peek(), `expected \`,\` between eval assignments, found ${describe(c.peek())}`);
        break;
      }
    }
    this.errors.push(...c.errors);
  }

  /**
   * `rex field=col "(?<name>re)"`: the named groups of the first match become columns; a row the
   * expression does not match keeps its columns as they were (Splunk's rex extracts nothing then).
   */
  private rex(head: Token, args: Token[]): void {
    let field: Token | undefined;
    let pattern: Token | undefined;
    for (let k = 0; k < args.length; k++) {
      const token = args[k];
      if (token.kind === 'string' && !pattern) pattern = token;
      else if (isKeyword(token, 'field') && args[k + 1]?.kind === 'eq' && args[k + 2]) field = args[(k += 2)];
      else if (token.kind === 'word' && args[k + 1]?.kind === 'eq') return this.fail(token, `rex option \`${token.text}=\` is not supported (only field=)`);
      else return this.fail(token, `unexpected ${describe(token)} in rex (expected field=<column> "<regular expression>")`);
    }
    if (!pattern) return this.fail(head, 'rex needs a quoted regular expression');
    if (!field) return this.fail(head, 'rex without field= reads _raw, which aggregated rows do not have: name the column with field=');
    if (!this.findColumn(field.text)) return this.fail(field, this.noColumn(field.text));
    const compiled = compileLinearRegex(pattern.text);
    if (!compiled.ok) return this.fail(pattern, `rex: ${compiled.reason}`);
    if (compiled.regex.names.length === 0) return this.fail(pattern, 'rex: the expression names no group ((?<name>...)), so it extracts nothing');
    for (const name of compiled.regex.names) this.define(name, pattern);
    this.stages.push({ kind: 'rex', field: field.text, pattern: pattern.text, groups: compiled.regex.names.map((group) => ({ group, as: group })) });
  }

  private lookup(head: Token, args: Token[]): void {
    const c = new TokenCursor(args, head);
    const stage = parseLookup(c, this.lookups, (name, at) => {
      if (this.findColumn(name)) return true;
      c.fail(at, this.noColumn(name));
      return false;
    });
    this.errors.push(...c.errors);
    if (!stage) return;
    for (const output of stage.outputs) this.define(output.as, head);
    this.stages.push(stage);
  }

  /** a column a row command writes: a new one, or one that exists (overwritten) */
  private define(name: string, at: Token): void {
    if (this.findColumn(name)) return;
    if (this.allColumns().some((c) => c.name === name)) {
      this.errors.push(errorAt(at, `column ${name} was removed by fields/table and cannot be written again`));
      return;
    }
    this.computed.push({ name });
  }

  private fail(at: Token, message: string): void {
    this.errors.push(errorAt(at, message));
  }

  private noColumn(name: string): string {
    return `no output column ${name} (columns: ${this.columns().map((col) => col.name).join(', ')})`;
  }

  /** the columns a later command can name: every one `table` / `fields` kept */
  private columns(): Column[] {
    return this.allColumns().filter((c) => !c.hidden);
  }

  private allColumns(): Column[] {
    return [...(this.statsColumns ?? this.planColumns()), ...this.computed].filter((c) => !c.dropped);
  }

  /** `stats` replaces the rows and their columns; `eventstats` adds its aggregates to each row */
  private stats(head: Token, args: Token[], name: 'stats' | 'eventstats'): void {
    const c = new TokenCursor(args, head);
    const parsed = parseStats(c, this.columnCheck(c), (cursor) => {
      const parser = new ValueParser(cursor, this.columnResolver());
      const value = parser.expression();
      parser.finish();
      return value;
    });
    this.errors.push(...c.errors);
    if (!parsed) return;
    if (name === 'eventstats') {
      for (const a of parsed.aggregates) this.define(a.as, head);
      this.stages.push({ kind: 'eventstats', aggregates: parsed.aggregates, by: parsed.by.map((t) => t.text) });
      return;
    }
    this.statsAt = this.stages.length;
    this.stages.push({ kind: 'stats', aggregates: parsed.aggregates, by: parsed.by.map((t) => ({ field: t.text, as: t.text })) });
    this.statsColumns = [...parsed.by.map((t) => ({ name: t.text })), ...parsed.aggregates.map((a) => ({ name: a.as, aggregate: true }))];
    this.computed = [];
    this.ctime = [];
    this.columnOrder = undefined;
  }

  /** `bin span=1h gtime [as g]` (also `bucket`): time spans only; bins=, start= and the like choose spans from the data */
  private bin(head: Token, args: Token[]): void {
    const c = new TokenCursor(args, head);
    const stage = parseBin(c, this.columnCheck(c));
    this.errors.push(...c.errors);
    if (!stage) return;
    if (stage.as !== stage.field) this.define(stage.as, head);
    this.stages.push(stage);
  }

  private setCommand(head: Token, args: Token[], name: 'dedup' | 'sort' | 'head'): void {
    const c = new TokenCursor(args, head);
    const check = this.columnCheck(c);
    const stage = name === 'dedup' ? parseDedup(c, check) : name === 'sort' ? parseSort(c, check) : parseHead(c);
    this.errors.push(...c.errors);
    if (stage) this.stages.push(stage);
  }

  private columnCheck(c: TokenCursor): (name: string, at: Token) => boolean {
    return (name, at) => {
      if (this.findColumn(name)) return true;
      c.fail(at, this.noColumn(name));
      return false;
    };
  }

  /**
   * `table a b` keeps those columns in that order; `fields a b` keeps them, and the internal `_time`
   * unless `fields - _time` names it (Splunk's fields keeps internal fields); `fields - a b` drops
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
    const kept = (c: Column) => name === 'fields' && !remove && c.name === '_time';
    for (const column of this.columns()) if (chosen(column) === remove && !kept(column)) column.hidden = true;
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
    if (!this.findColumn(field.text)) return this.fail(field, this.noColumn(field.text));
    const compiled = compileLinearRegex(pattern.text);
    if (!compiled.ok) {
      this.errors.push(errorAt(pattern, `regex: ${compiled.reason}`));
      return;
    }
    const match: Expr = { kind: 'eval', value: { kind: 'call', fn: 'match', args: [{ kind: 'field', name: field.text }, { kind: 'literal', value: pattern.text }] } };
    this.stages.push({ kind: 'filter', expr: op.kind === 'eq' ? match : { kind: 'not', term: match } });
  }

  private findColumn(name: string): Column | undefined {
    return this.columns().find((col) => col.name === name);
  }

  private drop(column: Column): void {
    column.dropped = true;
    this.ctime = this.ctime.filter((c) => c !== column);
    const stats = this.stages[this.statsAt];
    if (this.statsColumns && stats?.kind === 'stats') {
      this.stages[this.statsAt] = { ...stats, aggregates: stats.aggregates.filter((a) => a.as !== column.name) };
    }
  }

  /**
   * Earlier row commands were written against the old name, so they follow the rename; those
   * before a `stats` named columns that are gone, so only its output names follow.
   */
  private renameColumn(column: Column, to: string): void {
    const from = column.name;
    column.name = to;
    this.stages = this.stages.map((stage, i) => (i < this.statsAt ? stage : i === this.statsAt ? renameStatsOutput(stage, from, to) : renameInStage(stage, from, to)));
  }
}
