import { datasetFields, isDatasetField, type DatasetName } from '../../cim/model.js';
import type { AggregateFunction, Expr, OutputSettings, SearchPlan } from '../search-plan.js';
import type { SplError, Token } from './lexer.js';
import { isSplError, resolveMacro } from './macros.js';
import { describe, errorAt, isKeyword, parseAggregates, parseByFields, TokenCursor, type AggregateAst, type Command, type FieldResolver } from './parser.js';
import { parseExpr, type ExprMode } from './expression-parser.js';
import { OutputStageBuilder, type Column } from './output-builder.js';
import type { LookupLibrary } from './lookup-command.js';
import { parseJoin, type SubsearchCompiler } from './join-command.js';
import { didYouMean } from '../suggest.js';

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
  Authentication: { dataset: 'Authentication.Authentication', object: 'Authentication' },
  'Authentication.Authentication': { dataset: 'Authentication.Authentication', object: 'Authentication' },
};

/**
 * Commands tunnelwatch will not run, and why: each needs a second search or state beyond one
 * pass of aggregation, so compiling around it would change what the detection means.
 */
/** fields every data model inherits from its base event, named without the dataset prefix (`by host`) */
const baseFields: ReadonlySet<string> = new Set(['host']);

/** commands that shape aggregated rows (see OutputStageBuilder) */
const rowCommands = new Set(['rename', 'fields', 'table', 'regex', 'eval', 'rex', 'lookup', 'eventstats', 'dedup', 'sort', 'head', 'bin', 'bucket']);

const refusedCommands: Record<string, string> = {
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
  private missingBy: OutputSettings['missingBy'] = 'drop';
  private fillnullZero = false;
  /** events: before the aggregating command; rows: its output */
  private stage: 'events' | 'rows' = 'events';
  private aggregatedAt?: Token;

  private readonly output: OutputStageBuilder;

  constructor(
    readonly errors: SplError[],
    lookups: LookupLibrary | undefined,
    private readonly compileSubsearch: SubsearchCompiler,
  ) {
    this.output = new OutputStageBuilder(errors, () => [...this.by.map((b) => b.column), ...this.aggregates.map((a) => a.column)], lookups);
  }

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

  command(command: Command): void {
    const head = command.tokens[0];
    if (head.kind === 'macro') {
      this.macroCommand(head);
      return;
    }
    const name = head.kind === 'word' ? head.text.toLowerCase() : '';
    const args = command.tokens.slice(1);
    if (name === 'fillnull') return this.fillnull(head, args);
    if (name === 'stats' && this.stage === 'events') return this.stats(command);
    if ((name === 'search' || name === 'where') && this.stage === 'events') return this.eventFilter(head, args, name);
    if (name === 'tstats') {
      this.errors.push(errorAt(head, 'tstats must be the first command'));
      return;
    }
    if (name === 'join') return this.join(head, args);
    const why = refusedCommands[name];
    if (why) {
      this.errors.push(errorAt(head, `command ${describe(head)} is not supported: it ${why}`));
    } else if (this.stage === 'events') {
      this.errors.push(errorAt(head, rowCommands.has(name) ? `${name} is only supported after tstats or stats` : `command ${describe(head)} is not supported`));
    } else if (!this.output.command(head, name, args)) {
      this.errors.push(errorAt(head, `command ${describe(head)} is not supported`));
    }
  }

  finish(): { plan?: SearchPlan; output?: OutputSettings; errors: SplError[] } {
    this.output.checkColumnsUnique(this.aggregatedAt);
    this.errors.sort((a, b) => a.line - b.line || a.col - b.col);
    if (this.errors.length > 0 || !this.dataset) {
      if (this.errors.length === 0) this.errors.push({ line: 1, col: 1, message: 'no dataset selected' });
      return { errors: this.errors };
    }
    const plan: SearchPlan = {
      dataset: this.dataset,
      where: this.where.length === 0 ? { kind: 'true' } : this.where.length === 1 ? this.where[0] : { kind: 'and', terms: this.where },
      aggregates: this.aggregates.filter((a) => !a.column.dropped).map((a) => ({ fn: a.fn, ...(a.field !== undefined ? { field: a.field } : {}), as: a.column.name })),
      by: this.by.map((b) => ({ field: b.field, as: b.column.name, ...(b.span !== undefined ? { span: b.span } : {}) })),
    };
    return { plan, output: this.output.settings({ missingBy: this.missingBy, fillnullZero: this.fillnullZero }), errors: [] };
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
      const expr = parseExpr(c, 'search', this.datamodelResolver(), { stopAtBy: true });
      if (expr) this.where.push(this.nodeSelection(expr, command.tokens));
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

  /**
   * `nodename=DNS` names the dataset a tstats search reads: the root dataset every event of the
   * data model is in (true), or a child dataset tunnelwatch does not map (refused).
   */
  private nodeSelection(expr: Expr, tokens: Token[]): Expr {
    const at = tokens.find((t) => t.kind === 'word' && t.text === 'nodename') ?? tokens[0];
    const visit = (e: Expr): Expr => {
      switch (e.kind) {
        case 'and':
        case 'or':
          return { kind: e.kind, terms: e.terms.map(visit) };
        case 'not':
          return { kind: 'not', term: visit(e.term) };
        case 'compare':
          if (e.field !== 'nodename') return e;
          if (e.op === '=' && e.pattern === this.object) return { kind: 'true' };
          this.errors.push(errorAt(at, `nodename ${e.op} ${e.pattern}: only \`nodename=${this.object ?? '…'}\`, the root dataset of the data model, is supported`));
          return e;
        case 'in':
        case 'test':
          if (e.field === 'nodename') this.errors.push(errorAt(at, `nodename: only \`nodename=${this.object ?? '…'}\`, the root dataset of the data model, is supported`));
          return e;
        default:
          return e;
      }
    };
    return visit(expr);
  }

  /**
   * strips the datamodel object prefix and checks the dataset produces the field; `host` (a base
   * field every data model inherits) and `nodename` (the dataset selector) go without a prefix
   */
  private datamodelResolver(): FieldResolver {
    return (name, at) => {
      if (name === '_time' || name === 'nodename') return name;
      const dot = name.indexOf('.');
      const bare = dot < 0 ? name : name.slice(dot + 1);
      if (!this.sourceKnown || !this.dataset || !this.object) return bare;
      if (baseFields.has(name)) return isDatasetField(this.dataset, name) ? name : errorAt(at, notProduced(name, this.dataset));
      if (baseFields.has(bare)) return errorAt(at, `field ${name}: ${bare} is a base field every data model inherits, named without a dataset prefix`);
      if (dot < 0 || name.slice(0, dot) !== this.object) {
        return errorAt(at, `field ${name} must carry the \`${this.object}.\` prefix of dataset ${this.dataset}`);
      }
      return isDatasetField(this.dataset, bare) ? bare : errorAt(at, notProduced(name, this.dataset, `${this.object}.`));
    };
  }

  private rawResolver(): FieldResolver {
    return (name, at) => {
      if (name === '_time' || !this.sourceKnown || !this.dataset || isDatasetField(this.dataset, name)) return name;
      return errorAt(at, notProduced(name, this.dataset));
    };
  }

  private addAggregate(a: AggregateAst, resolve: FieldResolver): void {
    let field: string | undefined;
    if (a.field) {
      const resolved = resolve(a.field.text, a.field);
      if (typeof resolved === 'string') field = resolved;
      else this.errors.push(resolved);
    }
    this.aggregates.push({ fn: a.fn, field, column: { name: a.as, aggregate: true } });
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

  private macroCommand(token: Token): void {
    const macro = resolveMacro(token);
    if (isSplError(macro)) {
      this.errors.push(macro);
      return;
    }
    switch (macro.kind) {
      case 'filter':
        this.output.filterMacroCommand(macro.name, token);
        return;
      case 'drop-dm-object-name':
        if (this.requireRows(token, '`drop_dm_object_name`')) this.output.dropDmObjectName(macro.object);
        return;
      case 'ctime':
        if (this.requireRows(token, '`security_content_ctime`')) this.output.ctimeColumn(macro.column);
        return;
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
    if (this.dataset !== 'sysmon') {
      this.errors.push(errorAt(head, 'stats before tstats is not supported (stats follows tstats, or a raw `sysmon` search)'));
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

  /** `search` / `where` before the aggregation: only a raw `sysmon` search filters events this way */
  private eventFilter(head: Token, args: Token[], mode: ExprMode): void {
    if (this.dataset === 'sysmon') this.addWhere(args, mode, head);
    else this.errors.push(errorAt(head, `${mode} is only supported after tstats/stats or in a raw sysmon search`));
  }

  /** `join ... [| tstats ...]`: a second aggregation joined to the rows (join-command.ts) */
  private join(head: Token, args: Token[]): void {
    if (!this.requireRows(head, '`join`')) return;
    const ast = parseJoin(head, args, this.compileSubsearch, this.errors);
    if (ast) this.output.join(head, ast);
  }

  private requireRows(at: Token, what: string): boolean {
    if (this.stage === 'rows') return true;
    this.errors.push(errorAt(at, `${what} is only supported after tstats or stats`));
    return false;
  }
}

/** `prefix`: the datamodel object the search names fields with (`Processes.`) */
function notProduced(field: string, dataset: DatasetName, prefix = ''): string {
  const known = (datasetFields[dataset] as readonly string[]).map((f) => `${prefix}${f}`);
  return `field ${field} is not produced by any mapping of dataset ${dataset}${didYouMean(field, known)}`;
}
