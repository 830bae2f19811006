import type { AggregateFunction, Expr, ValueExpr } from '../search-plan.js';
import { isIdentifier, type SplError, type Token } from './lexer.js';

/** A pipeline stage: the tokens between two pipes. `at` is the first token (or the pipe before an empty one). */
export interface Command {
  tokens: Token[];
  at: Token;
}

/** Maps a field name as written to the plan's name, or reports why it is not allowed. */
export type FieldResolver = (name: string, at: Token) => string | SplError;

export function isKeyword(token: Token | undefined, keyword: string): boolean {
  return token !== undefined && token.kind === 'word' && token.text.toLowerCase() === keyword;
}

export function errorAt(token: Token, message: string): SplError {
  return { line: token.line, col: token.col, message: token.via ? `${message} (in the expansion of macro \`${token.via}\`)` : message };
}

export function splitCommands(tokens: Token[]): { leadingPipe: boolean; commands: Command[]; errors: SplError[] } {
  const errors: SplError[] = [];
  const commands: Command[] = [];
  const leadingPipe = tokens[0]?.kind === 'pipe';
  let current: Token[] = [];
  let opener: Token | undefined = leadingPipe ? tokens[0] : undefined;
  const flush = (at: Token | undefined): void => {
    if (current.length > 0) commands.push({ tokens: current, at: current[0] });
    else if (at) errors.push(errorAt(at, 'empty command after `|`'));
    current = [];
  };
  let subsearchDepth = 0;
  // a join's subsearch stays in the join command, brackets and all (see join-command.ts)
  let joined = false;
  for (const [k, token] of tokens.entries()) {
    // any other subsearch is one unsupported unit: its pipes and commands must not read as ours
    if (token.kind === 'other' && token.text === '[') {
      if (subsearchDepth++ === 0) joined = isKeyword(current[0], 'join');
      if (joined) current.push(token);
      else if (subsearchDepth === 1) errors.push(errorAt(token, 'subsearches (`[ ... ]`) are not supported'));
    } else if (token.kind === 'other' && token.text === ']' && subsearchDepth > 0) {
      subsearchDepth--;
      if (joined) current.push(token);
    } else if (subsearchDepth > 0) {
      if (joined) current.push(token);
      continue;
    } else if (token.kind !== 'pipe') {
      current.push(token);
    } else if (k > 0) {
      flush(opener);
      opener = token;
    }
  }
  flush(opener);
  return { leadingPipe, commands, errors };
}

/** Recursive-descent parser over one token slice, collecting errors instead of throwing. */
export class TokenCursor {
  pos = 0;
  readonly errors: SplError[] = [];

  constructor(
    readonly tokens: Token[],
    /** where to point "unexpected end" errors */
    readonly endAt: Token,
  ) {}

  peek(offset = 0): Token | undefined {
    return this.tokens[this.pos + offset];
  }

  next(): Token | undefined {
    return this.tokens[this.pos++];
  }

  atEnd(): boolean {
    return this.pos >= this.tokens.length;
  }

  fail(token: Token | undefined, message: string): null {
    const at = token ?? this.endAt;
    this.errors.push(errorAt(at, token ? message : `${message} (at end of command)`));
    return null;
  }

  acceptKeyword(keyword: string): Token | undefined {
    return isKeyword(this.peek(), keyword) ? this.next() : undefined;
  }

  accept(kind: Token['kind']): Token | undefined {
    return this.peek()?.kind === kind ? this.next() : undefined;
  }

  /** a field name; reports and returns null when the token is not one */
  fieldName(what: string): Token | null {
    const token = this.peek();
    if (token?.kind === 'word' && isIdentifier(token.text)) return this.next()!;
    return this.fail(token, `expected ${what}, found ${describe(token)}`);
  }
}

export function describe(token: Token | undefined): string {
  if (!token) return 'end of command';
  if (token.kind === 'macro') return `macro \`${token.text}\``;
  if (token.kind === 'string') return `"${token.text}"`;
  return `\`${token.text}\``;
}

export interface AggregateAst {
  fn: AggregateFunction;
  /** the field as written, when the function takes one */
  field?: Token;
  as: string;
  at: Token;
}

const aggregateFunctions = new Set<string>(['count', 'min', 'max', 'values', 'dc', 'earliest', 'latest']);
/** other names Splunk gives the same aggregate */
const aggregateAliases: Record<string, string> = { distinct_count: 'dc' };

/**
 * `count [as x]`, `fn(field) [as x]`, ... until one of the `stops` keywords or the end. An aggregate
 * without `as` is named as written, like Splunk's `min(_time)`.
 */
export function parseAggregates(c: TokenCursor, stops: string[]): AggregateAst[] {
  const out: AggregateAst[] = [];
  while (!c.atEnd() && !stops.some((stop) => isKeyword(c.peek(), stop))) {
    if (c.accept('comma')) continue;
    const at = c.next()!;
    const written = at.text.toLowerCase();
    const name = aggregateAliases[written] ?? written;
    let field: Token | undefined;
    if (c.accept('lparen')) {
      field = c.fieldName('a field name') ?? undefined;
      if (!c.accept('rparen')) c.fail(c.peek(), `expected \`)\` after ${name}(field, found ${describe(c.peek())}`);
    }
    let as = field ? `${written}(${field.text})` : written;
    if (c.acceptKeyword('as')) as = c.fieldName('an output name after `as`')?.text ?? as;
    if (at.kind !== 'word' || !aggregateFunctions.has(name)) {
      c.fail(at, `aggregate ${describe(at)} is not supported (${[...aggregateFunctions, ...Object.keys(aggregateAliases)].join(', ')})`);
      continue;
    }
    if (!field && name !== 'count') {
      c.fail(at, `aggregate \`${name}\` needs a field: ${name}(field)`);
      continue;
    }
    out.push({ fn: name as AggregateFunction, field, as, at });
  }
  return out;
}

/** `by f1 f2, f3 ... [span=1h]` to the end of the command: the fields, and the span in seconds when given */
export function parseByFields(c: TokenCursor): { fields: Token[]; span?: { seconds: number; at: Token } } {
  const fields: Token[] = [];
  let span: { seconds: number; at: Token } | undefined;
  while (!c.atEnd()) {
    if (c.accept('comma')) continue;
    const token = c.next()!;
    if (c.peek()?.kind === 'eq') {
      c.next();
      const value = c.next();
      if (!isKeyword(token, 'span')) {
        c.fail(token, `BY option \`${token.text}=\` is not supported (only span=)`);
      } else {
        const seconds = value ? spanSeconds(value.text) : undefined;
        if (seconds === undefined) c.fail(value ?? token, `span= needs a duration such as 1h, 30m, 10s or 1d, found ${describe(value)}`);
        else span = { seconds, at: token };
      }
    } else if ((token.kind === 'word' && isIdentifier(token.text)) || token.kind === 'string') {
      fields.push(token);
    } else {
      c.fail(token, `expected a BY field name, found ${describe(token)}`);
    }
  }
  return span ? { fields, span } : { fields };
}

const secondsPerUnit: Record<string, number> = {
  s: 1, sec: 1, secs: 1, second: 1, seconds: 1,
  m: 60, min: 60, mins: 60, minute: 60, minutes: 60,
  h: 3600, hr: 3600, hrs: 3600, hour: 3600, hours: 3600,
  d: 86400, day: 86400, days: 86400,
  w: 604800, week: 604800, weeks: 604800,
};

/** `1h`, `30m`, `10s`, `1d`, `2w` (Splunk's span units up to weeks) -> seconds; undefined otherwise */
export function spanSeconds(text: string): number | undefined {
  let digits = 0;
  while (digits < text.length && text.charCodeAt(digits) >= 48 && text.charCodeAt(digits) <= 57) digits++;
  const count = Number(text.slice(0, digits));
  const unit = secondsPerUnit[text.slice(digits).toLowerCase() || 's'];
  return digits === 0 || unit === undefined || count === 0 ? undefined : count * unit;
}

/** Rewrites every field name of an expression. */
export function mapFields(expr: Expr, f: (field: string) => string): Expr {
  switch (expr.kind) {
    case 'and':
    case 'or':
      return { kind: expr.kind, terms: expr.terms.map((t) => mapFields(t, f)) };
    case 'not':
      return { kind: 'not', term: mapFields(expr.term, f) };
    case 'compare':
    case 'in':
      return { ...expr, field: f(expr.field) };
    case 'test':
      return { ...expr, field: expr.field === null ? null : f(expr.field) };
    case 'eval':
      return { kind: 'eval', value: mapValueFields(expr.value, f) };
    case 'true':
      return expr;
  }
}

export function mapValueFields(value: ValueExpr, f: (field: string) => string): ValueExpr {
  switch (value.kind) {
    case 'field':
      return { kind: 'field', name: f(value.name) };
    case 'literal':
      return value;
    case 'call':
      return { ...value, args: value.args.map((a) => mapValueFields(a, f)) };
    case 'relation':
    case 'arithmetic':
      return { ...value, left: mapValueFields(value.left, f), right: mapValueFields(value.right, f) };
    case 'logic':
      return { ...value, terms: value.terms.map((t) => mapValueFields(t, f)) };
    case 'not':
      return { kind: 'not', value: mapValueFields(value.value, f) };
  }
}
