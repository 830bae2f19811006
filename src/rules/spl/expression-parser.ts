import type { Expr, RelationOp, ValueExpr } from '../search-plan.js';
import { isIdentifier, type Token } from './lexer.js';
import { isCondition, isNumber, ValueParser } from './value-parser.js';
import { isSplError, resolveMacro } from './macros.js';
import { isCidr } from '../../cim/ip.js';
import { describe, isKeyword, type FieldResolver, type TokenCursor } from './parser.js';

/**
 * `search` evaluates OR before AND (so `a=1 b=2 OR c=3` is `a=1 AND (b=2 OR c=3)`) and allows
 * implicit AND; `where` evaluates AND before OR, needs explicit AND, and its `=` is not a pattern.
 */
export type ExprMode = 'search' | 'where';

/** Where an expression runs: `stopAtBy` ends it at a top-level `by` (tstats); `rows` over output rows. */
export interface ExprContext {
  stopAtBy?: boolean;
  /**
   * a search over output rows, where `count > 5` compares (as Splunk's search does); the event
   * search keeps to patterns, which the prefilter can turn into literals
   */
  rows?: boolean;
}

/** Parses a boolean expression until the end of the cursor (or a stop). Returns null when any error was reported. */
export function parseExpr(cursor: TokenCursor, mode: ExprMode, resolve: FieldResolver, context: ExprContext = {}): Expr | null {
  const before = cursor.errors.length;
  const parser = new ExprParser(cursor, mode, resolve, context.stopAtBy === true, context.rows === true);
  const expr = parser.sequence();
  return cursor.errors.length === before ? expr : null;
}

class ExprParser {
  private depth = 0;

  constructor(
    private readonly c: TokenCursor,
    private readonly mode: ExprMode,
    private readonly resolve: FieldResolver,
    private readonly stopAtBy: boolean,
    private readonly rows: boolean,
  ) {}

  private atStop(): boolean {
    const token = this.c.peek();
    if (!token) return true;
    if (token.kind === 'rparen' && this.depth > 0) return true;
    if (!this.stopAtBy || !isKeyword(token, 'by')) return false;
    // inside an unclosed `(` too: the BY clause is not swallowed into it, so one missing `)` is
    // one error, not one per BY field read as a bare term
    const next = this.c.peek(1);
    return this.depth === 0 || (next?.kind !== 'eq' && next?.kind !== 'neq');
  }

  /** the loosest level: AND in search mode, OR in where mode */
  sequence(): Expr {
    return this.mode === 'search' ? this.searchAnd() : this.whereOr();
  }

  private searchAnd(): Expr {
    const terms: Expr[] = [];
    while (!this.atStop()) {
      const explicit = this.c.acceptKeyword('and');
      if (explicit && (terms.length === 0 || this.atStop())) this.c.fail(explicit, '`AND` needs a term on each side');
      if (this.atStop()) break;
      terms.push(this.searchOr());
    }
    if (terms.length === 0) return this.missingTerm();
    return terms.length === 1 ? terms[0] : { kind: 'and', terms };
  }

  private searchOr(): Expr {
    const terms = [this.not()];
    while (this.c.acceptKeyword('or')) terms.push(this.not());
    return terms.length === 1 ? terms[0] : { kind: 'or', terms };
  }

  private whereOr(): Expr {
    const terms = [this.whereAnd()];
    while (this.c.acceptKeyword('or')) terms.push(this.whereAnd());
    return terms.length === 1 ? terms[0] : { kind: 'or', terms };
  }

  private whereAnd(): Expr {
    const terms = [this.not()];
    for (;;) {
      if (this.c.acceptKeyword('and')) {
        terms.push(this.not());
      } else if (!this.atStop() && !isKeyword(this.c.peek(), 'or')) {
        this.c.fail(this.c.peek(), `expected AND or OR before ${describe(this.c.peek())} (where needs explicit operators)`);
        terms.push(this.not());
      } else {
        break;
      }
    }
    return terms.length === 1 ? terms[0] : { kind: 'and', terms };
  }

  private not(): Expr {
    if (this.c.acceptKeyword('not')) return { kind: 'not', term: this.not() };
    return this.primary();
  }

  private missingTerm(): Expr {
    this.c.fail(this.c.peek(), `expected a search term, found ${describe(this.c.peek())}`);
    return { kind: 'true' };
  }

  private primary(): Expr {
    const token = this.c.peek();
    if (!token || this.atStop() || isKeyword(token, 'or') || isKeyword(token, 'and')) return this.missingTerm();
    if (token.kind === 'lparen') {
      this.c.next();
      this.depth++;
      const inner = this.sequence();
      this.depth--;
      if (!this.c.accept('rparen')) this.c.fail(this.c.peek(), `expected \`)\` to close the \`(\` at ${token.line}:${token.col}`);
      return inner;
    }
    this.c.next();
    if (token.kind === 'macro') {
      const macro = resolveMacro(token);
      return this.failTerm(token, isSplError(macro) ? macro.message : `macro \`${token.text}\` is not supported inside an expression`);
    }
    const op = this.c.peek();
    // Splunk's search reads a quoted string before `=`, `!=` or IN as a field name (`"Known Notes"=True`)
    const quotedField = token.kind === 'string' && this.mode === 'search' && (op?.kind === 'eq' || op?.kind === 'neq' || isKeyword(op, 'in'));
    if (token.kind !== 'word' && !quotedField) return this.failTerm(token, `expected a field comparison, found ${describe(token)}`);
    // `f="v"` keeps search's pattern compare; `f >= 5`, `f == "v"` and calls compute
    if (this.mode === 'where' && (isFunctionCall(token, op) || (isRelation(op) && op!.kind === 'other') || isColumnComparison(op, this.c.peek(1)) || hasOperator(token))) {
      return this.whereValueTerm(token);
    }
    if (this.mode === 'search' && this.rows && op?.kind === 'other' && ['<', '<=', '>', '>='].includes(op.text)) return this.searchRelation(token, op);
    if (op?.kind === 'eq' || op?.kind === 'neq') {
      this.c.next();
      const value = this.value();
      if (value === null) return { kind: 'true' };
      const compare: Expr = { kind: 'compare', field: this.field(token), op: op.kind === 'eq' ? '=' : '!=', pattern: value };
      return this.mode === 'search' ? withNetworks(compare) : compare;
    }
    if (isKeyword(op, 'in')) {
      this.c.next();
      const list: Expr = { kind: 'in', field: this.field(token), patterns: this.inList() };
      return this.mode === 'search' ? withNetworks(list) : list;
    }
    if (op?.kind === 'other' && op.text !== '[' && op.text !== ']') {
      this.c.next();
      this.value();
      return this.failTerm(op, `comparison operator \`${op.text}\` is not supported (only =, != and IN)`);
    }
    return this.failTerm(token, `bare term \`${token.text}\` is not supported: only field comparisons (field=value, field!=value, field IN (...))`);
  }

  /**
   * `where` terms that compute: a truth-valued function (`isnotnull(f)`, `match(f, "re")`), or a
   * relation (`count >= 5`, `len(process) > 200`, `count > avg+stdev*2`, `a != b` between columns).
   * `token` has been read.
   */
  private whereValueTerm(token: Token): Expr {
    this.c.pos--;
    const parser = new ValueParser(this.c, this.resolve);
    const value = parser.comparison();
    parser.finish();
    if (!value) return { kind: 'true' };
    if (!isCondition(value)) {
      const what = value.kind === 'call' ? `${value.fn}()` : `\`${token.text}\``;
      return this.failTerm(token, `${what} is not a condition: compare its value (e.g. ${value.kind === 'call' ? `${value.fn}(x)` : token.text} > 3)`);
    }
    return { kind: 'eval', value };
  }

  /** `search count > 5`: Splunk's search compares numbers as numbers and other values as text */
  private searchRelation(token: Token, op: Token): Expr {
    this.c.next();
    const value = this.c.next();
    if (value?.kind !== 'word' && value?.kind !== 'string') return this.failTerm(value ?? op, `expected a value after \`${op.text}\`, found ${describe(value)}`);
    const right: ValueExpr = { kind: 'literal', value: value.kind === 'word' && isNumber(value.text) ? Number(value.text) : value.text };
    return { kind: 'eval', value: { kind: 'relation', op: op.text as RelationOp, left: { kind: 'field', name: this.field(token) }, right } };
  }

  private failTerm(token: Token, message: string): Expr {
    this.c.fail(token, message);
    return { kind: 'true' };
  }

  private field(token: Token): string {
    if (token.kind === 'word' && !isIdentifier(token.text)) {
      this.c.fail(token, `\`${token.text}\` is not a valid field name`);
      return token.text;
    }
    const resolved = this.resolve(token.text, token);
    if (typeof resolved === 'string') return resolved;
    this.c.errors.push(resolved);
    return token.text;
  }

  private value(): string | null {
    const token = this.c.peek();
    if (token?.kind !== 'word' && token?.kind !== 'string') {
      return this.c.fail(token, `expected a value, found ${describe(token)}`);
    }
    this.c.next();
    if (this.mode === 'where') return this.whereValue(token);
    return token.text;
  }

  /** `where` compares to literals: quoted strings or numbers; an unquoted word would be a field */
  private whereValue(token: Token): string | null {
    if (token.kind === 'word' && !isNumber(token.text)) {
      return this.c.fail(token, `in where, unquoted \`${token.text}\` is a field reference (not supported); quote string values`);
    }
    if (token.text.includes('*')) {
      return this.c.fail(token, 'in where, `*` is a literal character, not a wildcard (not supported); use search for wildcards');
    }
    return token.text;
  }

  private inList(): string[] {
    const patterns: string[] = [];
    const open = this.c.peek();
    if (!this.c.accept('lparen')) {
      this.c.fail(open, `expected \`(\` after IN, found ${describe(open)}`);
      if (open?.kind === 'word' || open?.kind === 'string') this.c.next();
      return patterns;
    }
    for (;;) {
      const value = this.value();
      if (value === null) return this.skipPast('rparen', patterns);
      patterns.push(value);
      if (this.c.accept('rparen')) return patterns;
      if (!this.c.accept('comma')) {
        this.c.fail(this.c.peek(), `expected \`,\` or \`)\` in IN list, found ${describe(this.c.peek())}`);
        return this.skipPast('rparen', patterns);
      }
      // an empty item (`"a",, "b"` or `"a",)`) is no value, as Splunk's search parser takes it
      while (this.c.accept('comma'));
      if (this.c.accept('rparen')) return patterns;
    }
  }

  /** error recovery: drop tokens through the next `kind` so one mistake is reported once */
  private skipPast<T>(kind: Token['kind'], result: T): T {
    while (!this.c.atEnd() && this.c.next()!.kind !== kind);
    return result;
  }
}

/**
 * Search's CIDR terms: a value in CIDR notation (`10.0.0.0/8`, `"fe80::/10"`) tests whether an IP
 * address value lies in the network, as Splunk's search does (a value that is no IP address is
 * not in it); other values compare as patterns. `f!=net` needs the field, with no value inside;
 * an IN list is OR over its networks and its other patterns. `where`'s `=` compares text.
 */
function withNetworks(expr: Extract<Expr, { kind: 'compare' | 'in' }>): Expr {
  const patterns = expr.kind === 'compare' ? [expr.pattern] : expr.patterns;
  const networks = patterns.filter(isCidr);
  if (networks.length === 0) return expr;
  const inside = networks.map((network): Expr => ({ kind: 'test', field: expr.field, test: { op: 'cidr', network } }));
  if (expr.kind === 'compare' && expr.op === '!=') {
    return { kind: 'and', terms: [{ kind: 'compare', field: expr.field, op: '=', pattern: '*' }, { kind: 'not', term: inside[0] }] };
  }
  const rest = patterns.filter((p) => !isCidr(p));
  const terms = rest.length === 0 ? inside : [{ kind: 'in', field: expr.field, patterns: rest } as Expr, ...inside];
  return terms.length === 1 ? terms[0] : { kind: 'or', terms };
}

/** `where a = b`, `where a != b`: an unquoted word that is not a number names a column */
function isColumnComparison(op: Token | undefined, right: Token | undefined): boolean {
  return (op?.kind === 'eq' || op?.kind === 'neq') && right?.kind === 'word' && !isNumber(right.text) && !right.text.includes('*');
}

/** `avg+stdev*2`: a word holding arithmetic */
function hasOperator(token: Token): boolean {
  return !isNumber(token.text) && /[+*/%]/.test(token.text);
}

function isFunctionCall(token: Token, next: Token | undefined): boolean {
  return token.kind === 'word' && next?.kind === 'lparen' && isIdentifier(token.text);
}

/** `<`, `<=`, `>`, `>=`, `==` (and, after a computed value, `=` and `!=`) */
function isRelation(token: Token | undefined): boolean {
  return token !== undefined && ((token.kind === 'other' && ['<', '<=', '>', '>=', '=='].includes(token.text)) || token.kind === 'eq' || token.kind === 'neq');
}

