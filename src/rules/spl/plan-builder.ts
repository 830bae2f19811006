import { isDatasetField, type DatasetName } from '../../cim/model.js';
import type { AggregateFunction, Expr, OutputSettings, SearchPlan } from '../search-plan.js';
import { compileLinearRegex } from '../linear-regex.js';
import type { SplError, Token } from './lexer.js';
import { isSplError, resolveMacro } from './macros.js';
import {
  describe,
  errorAt,
  isKeyword,
  mapFields,
  parseAggregates,
  parseByFields,
  parseExpr,
  TokenCursor,
  type AggregateAst,
  type Command,
  type ExprMode,
  type FieldResolver,
} from './parser.js';

/** `from datamodel=...` values and the object prefix their fields carry (`Processes.process`). */
const datamodels: Record<string, { dataset: DatasetName; object: string }> = {
  Endpoint: { dataset: 'Endpoint.Processes', object: 'Processes' },
  'Endpoint.Processes': { dataset: 'Endpoint.Processes', object: 'Processes' },
  'Endpoint.Registry': { dataset: 'Endpoint.Registry', object: 'Registry' },
  'Endpoint.Filesystem': { dataset: 'Endpoint.Filesystem', object: 'Filesystem' },
  Network_Resolution: { dataset: 'Network_Resolution.DNS', object: 'DNS' },
  'Network_Resolution.DNS': { dataset: 'Network_Resolution.DNS', object: 'DNS' },
  Network_Traffic: { dataset: 'Network_Traffic.All_Traffic', object: 'All_Traffic' },
  'Network_Traffic.All_Traffic': { dataset: 'Network_Traffic.All_Traffic', object: 'All_Traffic' },
};

/** An output column; aggregates, BY fields and ctime entries share it so renames reach all of them. */
interface Column {
  name: string;
  /** left out of the output by `table` / `fields`: still a group key, no longer a column */
  hidden?: boolean;
}

/**
 * Commands tunnelwatch will not run, and why: each needs a second search or state beyond one
 * pass of aggregation, so compiling around it would change what the detection means.
 */
const refusedCommands: Record<string, string> = {
  join: 'joins a second search (a subsearch)',
  append: 'appends a second search (a subsearch)',
  appendcols: 'appends a second search (a subsearch)',
  appendpipe: 'runs a second pipeline over the results',
  union: 'merges other searches',
  multisearch: 'runs several searches',
  map: 'runs a search per row',
  inputlookup: 'reads a lookup table as events',
  outputlookup: 'writes a lookup table',
  transaction: 'groups events into transactions across the whole stream',
  apply: 'applies a Machine Learning Toolkit model',
  fit: 'trains a Machine Learning Toolkit model',
};

/**
 * Builds a SearchPlan command by command, collecting every error instead of stopping at the first.
 */
export class PlanBuilder {
  private dataset?: DatasetName;
  /** datamodel object prefix of tstats field names; undefined for raw searches */
  private object?: string;
  /** false once the source (datamodel or `sysmon`) failed to compile: field checks would only cascade */
  private sourceKnown = true;
  private readonly where: Expr[] = [];
  private readonly aggregates: { fn: AggregateFunction; field?: string; column: Column }[] = [];
  private readonly by: { field: string; column: Column; span?: number }[] = [];
  private ctime: Column[] = [];
  /** the order `table` gave the columns */
  private columnOrder?: Column[];
  private rowFilters: Expr[] = [];
  private missingBy: OutputSettings['missingBy'] = 'drop';
  private fillnullZero = false;
  private filterMacro?: string;
  /** events: before the aggregating command; rows: its output */
  private stage: 'events' | 'rows' = 'events';
  private aggregatedAt?: Token;

  constructor(readonly errors: SplError[]) {}

  generating(command: Command): void {
    const head = command.tokens[0];
    if (!isKeyword(head, 'tstats')) {
      this.errors.push(errorAt(head, `generating command ${describe(head)} is not supported (only tstats)`));
      return;
    }
    this.tstats(command);
  }

  /** the implied `search` at the start: the `sysmon` macro and field terms */
  rawSearch(command: Command): void {
    const tokens = isKeyword(command.tokens[0], 'search') ? command.tokens.slice(1) : command.tokens;
    const head = tokens[0] ?? command.at;
    const macro = head.kind === 'macro' ? resolveMacro(head) : undefined;
    this.dataset = 'sysmon';
    if (macro && isSplError(macro)) {
      this.errors.push(macro);
      this.sourceKnown = false;
      return;
    }
    if (macro?.kind !== 'sysmon') {
      this.errors.push(errorAt(head, 'a raw search must start with the `sysmon` macro (other sources are not supported)'));
      this.sourceKnown = false;
      return;
    }
    if (tokens.length > 1) this.addWhere(tokens.slice(1), 'search', command.at);
  }

  command(command: Command, isLast: boolean): void {
    const head = command.tokens[0];
    if (head.kind === 'macro') {
      this.macroCommand(head, isLast);
      return;
    }
    const name = head.kind === 'word' ? head.text.toLowerCase() : '';
    const args = command.tokens.slice(1);
    switch (name) {
      case 'fillnull':
        return this.fillnull(head, args);
      case 'stats':
        return this.stats(command);
      case 'rename':
        return this.rename(head, args);
      case 'search':
      case 'where':
        return this.filterCommand(head, args, name);
      case 'fields':
      case 'table':
        return this.selectColumns(head, args, name);
      case 'regex':
        return this.regexCommand(head, args);
      case 'tstats':
        this.errors.push(errorAt(head, 'tstats must be the first command'));
        return;
      default: {
        const why = refusedCommands[name];
        this.errors.push(errorAt(head, why ? `command ${describe(head)} is not supported: it ${why}` : `command ${describe(head)} is not supported`));
      }
    }
  }

  finish(): { plan?: SearchPlan; output?: OutputSettings; errors: SplError[] } {
    this.checkColumnsUnique();
    this.errors.sort((a, b) => a.line - b.line || a.col - b.col);
    if (this.errors.length > 0 || !this.dataset) {
      if (this.errors.length === 0) this.errors.push({ line: 1, col: 1, message: 'no dataset selected' });
      return { errors: this.errors };
    }
    const plan: SearchPlan = {
      dataset: this.dataset,
      where: this.where.length === 0 ? { kind: 'true' } : this.where.length === 1 ? this.where[0] : { kind: 'and', terms: this.where },
      aggregates: this.aggregates.map((a) => ({ fn: a.fn, ...(a.field !== undefined ? { field: a.field } : {}), as: a.column.name })),
      by: this.by.map((b) => ({ field: b.field, as: b.column.name, ...(b.span !== undefined ? { span: b.span } : {}) })),
    };
    const output: OutputSettings = {
      missingBy: this.missingBy,
      fillnullZero: this.fillnullZero,
      ctimeFields: this.ctime.map((c) => c.name),
      rowFilters: this.rowFilters,
    };
    if (this.filterMacro) output.filterMacro = this.filterMacro;
    if (this.allColumns().some((c) => c.hidden) || this.columnOrder) {
      const visible = this.columns();
      output.columns = this.columnOrder ? this.columnOrder.filter((c) => visible.includes(c)).map((c) => c.name) : visible.map((c) => c.name);
    }
    return { plan, output, errors: [] };
  }

  private tstats(command: Command): void {
    const c = new TokenCursor(command.tokens.slice(1), command.tokens[0]);
    this.tstatsOptions(c);
    const start = c.pos;
    const aggregates = parseAggregates(c, ['from', 'where', 'by']);
    if (c.pos === start) c.fail(c.peek(), 'tstats needs at least one aggregate (e.g. count)');
    if (!this.fromDatamodel(c)) {
      while (!c.atEnd() && !isKeyword(c.peek(), 'where') && !isKeyword(c.peek(), 'by')) c.next();
    }
    for (const a of aggregates) this.addAggregate(a, this.datamodelResolver());
    if (c.acceptKeyword('where')) {
      const expr = parseExpr(c, 'search', this.datamodelResolver(), true);
      if (expr) this.where.push(expr);
    }
    if (c.acceptKeyword('by')) {
      this.addByClause(parseByFields(c), this.datamodelResolver());
    } else if (!c.atEnd()) {
      c.fail(c.peek(), `unexpected ${describe(c.peek())} in tstats (expected where or by)`);
    }
    this.errors.push(...c.errors);
    this.aggregated(command.tokens[0]);
  }

  private tstatsOptions(c: TokenCursor): void {
    for (;;) {
      const token = c.peek();
      if (token?.kind === 'macro') {
        c.next();
        const macro = resolveMacro(token);
        if (isSplError(macro)) this.errors.push(macro);
        else if (macro.kind === 'summariesonly') this.missingBy = 'fill-null';
        else this.errors.push(errorAt(token, `macro \`${token.text}\` is not valid as a tstats option`));
      } else if (token?.kind === 'word' && c.peek(1)?.kind === 'eq') {
        c.fail(token, `tstats option \`${token.text}=\` is not supported (use \`security_content_summariesonly\`)`);
        c.pos += 3;
      } else {
        return;
      }
    }
  }

  /** false (reported) when the clause is missing or names an unsupported datamodel */
  private fromDatamodel(c: TokenCursor): boolean {
    if (!c.acceptKeyword('from')) {
      c.fail(c.peek(), `expected \`from datamodel=...\`, found ${describe(c.peek())}`);
      this.sourceKnown = false;
      return false;
    }
    const key = c.peek();
    if (!isKeyword(key, 'datamodel') || c.peek(1)?.kind !== 'eq') {
      c.fail(key, `expected \`datamodel=\` after from, found ${describe(key)}`);
      this.sourceKnown = false;
      return false;
    }
    c.pos += 2;
    const value = c.next();
    const model = value && (value.kind === 'word' || value.kind === 'string') ? datamodels[value.text] : undefined;
    if (!model) {
      c.fail(value, `datamodel ${describe(value)} is not supported (${Object.keys(datamodels).join(', ')})`);
      this.sourceKnown = false;
      return false;
    }
    this.dataset = model.dataset;
    this.object = model.object;
    return true;
  }

  /** strips the datamodel object prefix and checks the dataset produces the field */
  private datamodelResolver(): FieldResolver {
    return (name, at) => {
      if (name === '_time') return name;
      const dot = name.indexOf('.');
      const bare = dot < 0 ? name : name.slice(dot + 1);
      if (!this.sourceKnown || !this.dataset || !this.object) return bare;
      if (dot < 0 || name.slice(0, dot) !== this.object) {
        return errorAt(at, `field ${name} must carry the \`${this.object}.\` prefix of dataset ${this.dataset}`);
      }
      return isDatasetField(this.dataset, bare) ? bare : errorAt(at, notProduced(name, this.dataset));
    };
  }

  private rawResolver(): FieldResolver {
    return (name, at) => {
      if (name === '_time' || !this.sourceKnown || !this.dataset || isDatasetField(this.dataset, name)) return name;
      return errorAt(at, notProduced(name, this.dataset));
    };
  }

  private columnResolver(): FieldResolver {
    return (name, at) => {
      if (this.findColumn(name)) return name;
      return errorAt(at, `no output column ${name} (columns: ${this.columns().map((col) => col.name).join(', ')})`);
    };
  }

  private addAggregate(a: AggregateAst, resolve: FieldResolver): void {
    let field: string | undefined;
    if (a.field) {
      const resolved = resolve(a.field.text, a.field);
      if (typeof resolved === 'string') field = resolved;
      else this.errors.push(resolved);
    }
    this.aggregates.push({ fn: a.fn, field, column: { name: a.as } });
  }

  private addByClause(clause: ReturnType<typeof parseByFields>, resolve: FieldResolver): void {
    for (const field of clause.fields) this.addBy(field, resolve);
    if (!clause.span) return;
    const time = this.by.find((b) => b.field === '_time');
    if (time) time.span = clause.span.seconds;
    else this.errors.push(errorAt(clause.span.at, 'span= buckets _time: add _time to the BY fields'));
  }

  private addBy(token: Token, resolve: FieldResolver): void {
    const resolved = resolve(token.text, token);
    if (typeof resolved !== 'string') {
      this.errors.push(resolved);
      return;
    }
    // a repeated BY field adds nothing to the grouping
    if (this.by.some((b) => b.column.name === token.text)) return;
    this.by.push({ field: resolved, column: { name: token.text } });
  }

  private aggregated(at: Token): void {
    this.stage = 'rows';
    this.aggregatedAt = at;
  }

  private addWhere(tokens: Token[], mode: ExprMode, endAt: Token): void {
    const c = new TokenCursor(tokens, endAt);
    const expr = parseExpr(c, mode, this.rawResolver());
    this.errors.push(...c.errors);
    if (expr) this.where.push(expr);
  }

  private macroCommand(token: Token, isLast: boolean): void {
    const macro = resolveMacro(token);
    if (isSplError(macro)) {
      this.errors.push(macro);
      return;
    }
    switch (macro.kind) {
      case 'filter':
        if (!isLast) this.errors.push(errorAt(token, `filter macro \`${macro.name}\` must be the last command`));
        this.filterMacro = macro.name;
        return;
      case 'drop-dm-object-name':
        if (!this.requireRows(token, '`drop_dm_object_name`')) return;
        for (const column of this.columns()) {
          if (!column.name.startsWith(`${macro.object}.`)) continue;
          const to = column.name.slice(macro.object.length + 1);
          // Splunk's rename overwrites: `values(Processes.process) as process ... by Processes.process` keeps the BY value
          this.dropAggregateColumn(to);
          this.renameColumn(column, to);
        }
        return;
      case 'ctime': {
        if (!this.requireRows(token, '`security_content_ctime`')) return;
        // `convert ctime(x)` of a column the search does not have does nothing in Splunk either
        const column = this.findColumn(macro.column);
        if (column && !this.ctime.includes(column)) this.ctime.push(column);
        return;
      }
      default:
        this.errors.push(errorAt(token, `macro \`${token.text}\` is not valid as a command`));
    }
  }

  private fillnull(head: Token, args: Token[]): void {
    if (args.length > 0) {
      this.errors.push(errorAt(args[0], 'fillnull options and field lists are not supported (only a bare `fillnull`)'));
    } else if (this.stage !== 'events' || this.dataset !== 'sysmon') {
      this.errors.push(errorAt(head, 'fillnull is only supported before stats in a raw `sysmon` search'));
    } else {
      this.fillnullZero = true;
    }
  }

  private stats(command: Command): void {
    const head = command.tokens[0];
    if (this.stage !== 'events' || this.dataset !== 'sysmon') {
      this.errors.push(errorAt(head, 'stats is only supported once, after a raw `sysmon` search'));
      return;
    }
    const c = new TokenCursor(command.tokens.slice(1), head);
    const aggregates = parseAggregates(c, ['by']);
    if (c.pos === 0) c.fail(c.peek(), 'stats needs at least one aggregate (e.g. count)');
    for (const a of aggregates) this.addAggregate(a, this.rawResolver());
    if (c.acceptKeyword('by')) this.addByClause(parseByFields(c), this.rawResolver());
    this.errors.push(...c.errors);
    this.missingBy = 'drop';
    this.aggregated(head);
  }

  private rename(head: Token, args: Token[]): void {
    if (!this.requireRows(head, 'rename')) return;
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

  private filterCommand(head: Token, args: Token[], mode: ExprMode): void {
    if (this.stage === 'events') {
      if (this.dataset === 'sysmon') this.addWhere(args, mode, head);
      else this.errors.push(errorAt(head, `${mode} is only supported after tstats/stats or in a raw sysmon search`));
      return;
    }
    const c = new TokenCursor(args, head);
    if (c.atEnd()) c.fail(undefined, `${mode} needs an expression`);
    const expr = c.atEnd() ? null : parseExpr(c, mode, this.columnResolver());
    this.errors.push(...c.errors);
    if (expr) this.rowFilters.push(expr);
  }

  private requireRows(at: Token, what: string): boolean {
    if (this.stage === 'rows') return true;
    this.errors.push(errorAt(at, `${what} is only supported after tstats or stats`));
    return false;
  }

  /** the columns a later command can name: every one `table` / `fields` kept */
  private columns(): Column[] {
    return this.allColumns().filter((c) => !c.hidden);
  }

  private allColumns(): Column[] {
    return [...this.by.map((b) => b.column), ...this.aggregates.map((a) => a.column)];
  }

  /**
   * `table a b` keeps those columns in that order; `fields a b` keeps them; `fields - a b` drops
   * them. A name may end in `*` (a prefix). A name matching no column is ignored, as Splunk does.
   */
  private selectColumns(head: Token, args: Token[], name: 'fields' | 'table'): void {
    if (!this.requireRows(head, name)) return;
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
  private regexCommand(head: Token, args: Token[]): void {
    if (!this.requireRows(head, 'regex')) return;
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

  private dropAggregateColumn(name: string): void {
    const index = this.aggregates.findIndex((a) => a.column.name === name);
    if (index < 0) return;
    const [dropped] = this.aggregates.splice(index, 1);
    this.ctime = this.ctime.filter((column) => column !== dropped.column);
  }

  /** earlier row filters were written against the old name, so they follow the rename */
  private renameColumn(column: Column, to: string): void {
    const from = column.name;
    column.name = to;
    this.rowFilters = this.rowFilters.map((expr) => mapFields(expr, (f) => (f === from ? to : f)));
  }

  private checkColumnsUnique(): void {
    const seen = new Set<string>();
    for (const column of this.allColumns()) {
      if (seen.has(column.name) && this.aggregatedAt) {
        this.errors.push(errorAt(this.aggregatedAt, `output column ${column.name} is produced twice`));
      }
      seen.add(column.name);
    }
  }
}

/** a column name, or a prefix ending in `*` (`Processes.*`): column names are rule text, not log data */
function columnPattern(pattern: string): (name: string) => boolean {
  if (!pattern.endsWith('*')) return (name) => name === pattern;
  const prefix = pattern.slice(0, -1);
  return (name) => name.startsWith(prefix);
}

function notProduced(field: string, dataset: DatasetName): string {
  return `field ${field} is not produced by any mapping of dataset ${dataset}`;
}
