import { evalFunctions, type EvalFunction, type Expr, type RelationOp, type ValueExpr } from '../search-plan.js';
import { isIdentifier, type SplError, type Token } from './lexer.js';
import { compileLinearRegex } from '../linear-regex.js';
import { isSplError, resolveMacro } from './macros.js';
import { describe, isKeyword, type TokenCursor } from './parser.js';

/**
 * `search` evaluates OR before AND (so `a=1 b=2 OR c=3` is `a=1 AND (b=2 OR c=3)`) and allows
 * implicit AND; `where` evaluates AND before OR, needs explicit AND, and its `=` is not a pattern.
 */
export type ExprMode = 'search' | 'where';

/** Maps a field name as written to the plan's name, or reports why it is not allowed. */
export type FieldResolver = (name: string, at: Token) => string | SplError;

/**
 * Parses a boolean expression until the end of the cursor, or (search mode) until a top-level
 * `by` keyword when `stopAtBy` is set. Returns null when any error was reported.
 */
export function parseExpr(
  cursor: TokenCursor,
  mode: ExprMode,
  resolve: FieldResolver,
  stopAtBy = false,
): Expr | null {
  const before = cursor.errors.length;
  const parser = new ExprParser(cursor, mode, resolve, stopAtBy);
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
  ) {}

  private atStop(): boolean {
    const token = this.c.peek();
    if (!token) return true;
    if (token.kind === 'rparen' && this.depth > 0) return true;
    return this.stopAtBy && this.depth === 0 && isKeyword(token, 'by');
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
    if (token.kind !== 'word') return this.failTerm(token, `expected a field comparison, found ${describe(token)}`);
    const op = this.c.peek();
    // `f="v"` keeps search's pattern compare; `f >= 5`, `f == "v"` and calls compute
    if (this.mode === 'where' && (isFunctionCall(token, op) || (isRelation(op) && op!.kind === 'other'))) return this.whereValueTerm(token);
    if (op?.kind === 'eq' || op?.kind === 'neq') {
      this.c.next();
      const value = this.value();
      if (value === null) return { kind: 'true' };
      return { kind: 'compare', field: this.field(token), op: op.kind === 'eq' ? '=' : '!=', pattern: value };
    }
    if (isKeyword(op, 'in')) {
      this.c.next();
      return { kind: 'in', field: this.field(token), patterns: this.inList() };
    }
    if (op?.kind === 'other' && op.text !== '[' && op.text !== ']') {
      this.c.next();
      this.value();
      return this.failTerm(op, `comparison operator \`${op.text}\` is not supported (only =, != and IN)`);
    }
    return this.failTerm(token, `bare term \`${token.text}\` is not supported: only field comparisons (field=value, field!=value, field IN (...))`);
  }

  /**
   * `where` terms that compute: a boolean function (`isnotnull(f)`, `match(f, "re")`), or a
   * relation (`count >= 5`, `len(process) > 200`). `token` has been read.
   */
  private whereValueTerm(token: Token): Expr {
    const left = this.operand(token);
    const op = this.c.peek();
    if (!isRelation(op)) {
      if (left?.kind === 'call' && !booleanFunctions.has(left.fn)) this.c.fail(token, `${left.fn}() is not a condition: compare its value (e.g. ${left.fn}(x) > 3)`);
      return left ? { kind: 'eval', value: left } : { kind: 'true' };
    }
    this.c.next();
    const next = this.c.next();
    const right = next ? this.operand(next) : this.c.fail(undefined, `expected a value after \`${op!.text}\``);
    if (!left || !right) return { kind: 'true' };
    const relation = op!.kind === 'eq' ? '==' : op!.kind === 'neq' ? '!=' : (op!.text as RelationOp);
    return { kind: 'eval', value: { kind: 'relation', op: relation, left, right } };
  }

  /** a value: a number, a quoted string, a function call or a field; `token` has been read */
  private operand(token: Token): ValueExpr | null {
    if (token.kind === 'string') return { kind: 'literal', value: token.text };
    if (token.kind !== 'word') return this.c.fail(token, `expected a value, found ${describe(token)}`);
    if (isNumber(token.text)) return { kind: 'literal', value: Number(token.text) };
    if (!isFunctionCall(token, this.c.peek())) return { kind: 'field', name: this.field(token) };
    const fn = token.text.toLowerCase() as EvalFunction;
    if (!(evalFunctions as readonly string[]).includes(fn)) {
      this.skipPast('rparen', null);
      return this.c.fail(token, `function ${token.text}() is not supported (${evalFunctions.join(', ')})`);
    }
    this.c.next();
    const args: ValueExpr[] = [];
    while (!this.c.accept('rparen')) {
      if (args.length > 0 && !this.c.accept('comma')) {
        this.c.fail(this.c.peek(), `expected \`,\` or \`)\` in ${fn}(), found ${describe(this.c.peek())}`);
        return this.skipPast('rparen', null);
      }
      const next = this.c.next();
      const arg = next ? this.operand(next) : this.c.fail(undefined, `expected \`)\` to close ${fn}(`);
      if (!arg) return this.skipPast('rparen', null);
      args.push(arg);
    }
    const arity = functionArity[fn];
    if (args.length !== arity) return this.c.fail(token, `${fn}() takes ${arity} argument(s), got ${args.length}`);
    if (fn === 'match' || fn === 'like') {
      const pattern = args[1];
      if (pattern.kind !== 'literal' || typeof pattern.value !== 'string') return this.c.fail(token, `${fn}() needs a quoted pattern as its second argument`);
      if (fn === 'match') {
        const compiled = compileLinearRegex(pattern.value);
        if (!compiled.ok) return this.c.fail(token, `match(): ${compiled.reason}`);
      }
    }
    return { kind: 'call', fn, args };
  }

  private failTerm(token: Token, message: string): Expr {
    this.c.fail(token, message);
    return { kind: 'true' };
  }

  private field(token: Token): string {
    if (!isIdentifier(token.text)) {
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
    }
  }

  /** error recovery: drop tokens through the next `kind` so one mistake is reported once */
  private skipPast<T>(kind: Token['kind'], result: T): T {
    while (!this.c.atEnd() && this.c.next()!.kind !== kind);
    return result;
  }
}

const booleanFunctions = new Set<EvalFunction>(['isnull', 'isnotnull', 'match', 'like', 'cidrmatch']);
const functionArity: Record<EvalFunction, number> = {
  isnull: 1, isnotnull: 1, len: 1, lower: 1, upper: 1, mvcount: 1, match: 2, like: 2, cidrmatch: 2,
};

function isFunctionCall(token: Token, next: Token | undefined): boolean {
  return token.kind === 'word' && next?.kind === 'lparen' && isIdentifier(token.text);
}

/** `<`, `<=`, `>`, `>=`, `==` (and, after a computed value, `=` and `!=`) */
function isRelation(token: Token | undefined): boolean {
  return token !== undefined && ((token.kind === 'other' && ['<', '<=', '>', '>=', '=='].includes(token.text)) || token.kind === 'eq' || token.kind === 'neq');
}

function isNumber(text: string): boolean {
  return text !== '' && Number.isFinite(Number(text));
}
