import { evalFunctions, type ArithmeticOp, type EvalFunction, type RelationOp, type ValueExpr } from '../search-plan.js';
import { compileLinearRegex } from '../linear-regex.js';
import { parseRelativeTime } from '../relative-time.js';
import { isIdentifier, type Token } from './lexer.js';
import { describe, isKeyword, type FieldResolver, type TokenCursor } from './parser.js';

/** per function: the fewest and most arguments it takes */
const arity: Record<EvalFunction, [number, number]> = {
  isnull: [1, 1], isnotnull: [1, 1], len: [1, 1], lower: [1, 1], upper: [1, 1], mvcount: [1, 1],
  match: [2, 2], like: [2, 2], cidrmatch: [2, 2], if: [3, 3], case: [2, Infinity], coalesce: [1, Infinity],
  substr: [2, 3], split: [2, 2], mvindex: [2, 3], mvjoin: [2, 2], mvdedup: [1, 1], replace: [3, 3],
  tonumber: [1, 1], tostring: [1, 1], round: [1, 2], abs: [1, 1], trim: [1, 2], ltrim: [1, 2], rtrim: [1, 2],
  true: [0, 0], false: [0, 0], null: [0, 0], isnum: [1, 1], isstr: [1, 1], relative_time: [2, 2],
};

/** functions whose value is a truth value: eval cannot store one, where can test one */
export const conditionFunctions = new Set<EvalFunction>(['isnull', 'isnotnull', 'match', 'like', 'cidrmatch', 'true', 'false', 'isnum', 'isstr']);

/** true when an expression computes a truth value rather than a field value */
export function isCondition(value: ValueExpr): boolean {
  return value.kind === 'relation' || value.kind === 'logic' || value.kind === 'not' || (value.kind === 'call' && conditionFunctions.has(value.fn));
}

const relationText: Record<string, RelationOp> = { '=': '==', '==': '==', '!=': '!=', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };

/**
 * Splunk's eval expressions (docs: "eval command", operator precedence): OR < AND < NOT <
 * comparison < `+ - .` < `* / %` < unary minus. A word such as `avg+stdev*2` is one lexer token,
 * so words are cut at arithmetic operators here. A dotted word is a field when the search has a
 * field of that name (`Processes.process`), otherwise `.` concatenates (`a.b`), as in Splunk where
 * a dotted field name needs single quotes (`'Processes.process'`).
 */
export class ValueParser {
  /** pieces of the word being read, when a word holds operators */
  private pending: Token[] = [];

  constructor(
    private readonly c: TokenCursor,
    private readonly resolve: FieldResolver,
  ) {}

  expression(): ValueExpr | null {
    return this.logic('or');
  }

  /** a comparison or anything tighter (a `where` leaf) */
  comparison(): ValueExpr | null {
    const left = this.additive();
    const op = this.peek();
    const relation = op && (op.kind === 'eq' || op.kind === 'neq' || op.kind === 'other') ? relationText[op.text] : undefined;
    if (!relation) return left;
    // read the other side even after an error in this one, so one mistake is reported once
    this.take();
    const right = this.additive();
    return left && right && { kind: 'relation', op: relation, left, right };
  }

  /** reports what is left of a word the expression did not use (`a+` ...) */
  finish(): void {
    if (this.pending.length > 0) this.c.fail(this.pending[0], `unexpected ${describe(this.pending[0])}`);
    this.pending = [];
  }

  /** the next token, with words cut at operators */
  peek(): Token | undefined {
    if (this.pending.length > 0) return this.pending[0];
    const token = this.c.peek();
    // a signed number is cut too: after `)` the `-` of `-1` subtracts (unary minus covers the rest)
    if (token?.kind !== 'word' || (isNumber(token.text) && !/^[-+]/.test(token.text))) return token;
    const pieces = cutWord(token);
    if (pieces.length === 1 && pieces[0].kind === 'word') return token;
    this.c.next();
    this.pending = pieces;
    return pieces[0];
  }

  take(): Token | undefined {
    const token = this.peek();
    if (this.pending.length > 0) this.pending.shift();
    else this.c.next();
    return token;
  }

  private logic(op: 'and' | 'or'): ValueExpr | null {
    const first = op === 'or' ? this.logic('and') : this.not();
    if (!first) return null;
    const terms = [first];
    while (isKeyword(this.peek(), op)) {
      this.take();
      const next = op === 'or' ? this.logic('and') : this.not();
      if (!next) return null;
      terms.push(next);
    }
    return terms.length === 1 ? first : { kind: 'logic', op, terms };
  }

  private not(): ValueExpr | null {
    if (!isKeyword(this.peek(), 'not')) return this.comparison();
    this.take();
    const value = this.not();
    return value && { kind: 'not', value };
  }

  private additive(): ValueExpr | null {
    return this.binary(['+', '-', '.'], () => this.binary(['*', '/', '%'], () => this.unary()));
  }

  private binary(ops: string[], operand: () => ValueExpr | null): ValueExpr | null {
    let left = operand();
    for (let op = this.peek(); left && op?.kind === 'other' && ops.includes(op.text); op = this.peek()) {
      this.take();
      const right = operand();
      left = right && { kind: 'arithmetic', op: op.text as ArithmeticOp, left, right };
    }
    return left;
  }

  private unary(): ValueExpr | null {
    const token = this.peek();
    if (token?.kind === 'other' && (token.text === '-' || token.text === '+')) {
      this.take();
      const value = this.unary();
      return value && { kind: 'arithmetic', op: token.text, left: { kind: 'literal', value: 0 }, right: value };
    }
    return this.primary();
  }

  private primary(): ValueExpr | null {
    const token = this.take();
    if (!token) return this.c.fail(undefined, 'expected a value');
    if (token.kind === 'string') return { kind: 'literal', value: token.text };
    if (token.kind === 'lparen') {
      const inner = this.expression();
      if (inner && !this.accept('rparen')) return this.c.fail(this.peek(), `expected \`)\` to close the \`(\` at ${token.line}:${token.col}, found ${describe(this.peek())}`);
      return inner;
    }
    if (token.kind !== 'word') return this.c.fail(token, `expected a value, found ${describe(token)}`);
    if (isNumber(token.text)) return { kind: 'literal', value: Number(token.text) };
    if (this.peek()?.kind === 'lparen') return this.call(token);
    return this.field(token);
  }

  private accept(kind: Token['kind']): boolean {
    if (this.peek()?.kind !== kind) return false;
    this.take();
    return true;
  }

  private field(token: Token): ValueExpr | null {
    const quoted = token.text.length > 2 && token.text.startsWith("'") && token.text.endsWith("'");
    const name = quoted ? token.text.slice(1, -1) : token.text;
    const resolved = this.resolve(name, token);
    if (typeof resolved === 'string') return { kind: 'field', name: resolved };
    // ESCU writes `if(c, count, null)`: a field nothing outputs, which Splunk's eval reads as null
    if (!quoted && name === 'null') return { kind: 'call', fn: 'null', args: [] };
    const parts = quoted ? [] : name.split('.');
    const pieces = parts.map((part): ValueExpr | undefined => {
      if (isNumber(part)) return { kind: 'literal', value: part };
      const field = this.resolve(part, token);
      return typeof field === 'string' ? { kind: 'field', name: field } : undefined;
    });
    // `a.b` where no field is named so, but `a` and `b` are: `a` joined with `b`
    if (parts.length > 1 && pieces.every((p) => p !== undefined)) {
      return (pieces as ValueExpr[]).reduce((left, right) => ({ kind: 'arithmetic', op: '.', left, right }));
    }
    this.c.errors.push(resolved);
    return null;
  }

  private call(token: Token): ValueExpr | null {
    const fn = token.text.toLowerCase() as EvalFunction;
    this.take();
    if (!(evalFunctions as readonly string[]).includes(fn)) {
      this.skipCall();
      return this.c.fail(token, `eval function not supported: ${token.text}() (supported: ${evalFunctions.join(', ')})`);
    }
    const args: ValueExpr[] = [];
    while (!this.accept('rparen')) {
      if (args.length > 0 && !this.accept('comma')) {
        this.c.fail(this.peek(), `expected \`,\` or \`)\` in ${fn}(), found ${describe(this.peek())}`);
        return this.skipCall();
      }
      const arg = this.expression();
      if (!arg) return this.skipCall();
      args.push(arg);
    }
    const [min, max] = arity[fn];
    if (args.length < min || args.length > max) {
      return this.c.fail(token, `${fn}() takes ${min === max ? min : max === Infinity ? `${min} or more` : `${min} to ${max}`} argument(s), got ${args.length}`);
    }
    if (fn === 'case' && args.length % 2 !== 0) return this.c.fail(token, 'case() takes condition, value pairs');
    if (fn === 'relative_time') {
      const modifier = args[1];
      if (modifier.kind !== 'literal' || typeof modifier.value !== 'string') return this.c.fail(token, 'relative_time() needs a quoted time modifier as its second argument (e.g. "-1d@d")');
      const steps = parseRelativeTime(modifier.value);
      if (typeof steps === 'string') return this.c.fail(token, `relative_time(): ${steps}`);
    }
    if (fn === 'match' || fn === 'like' || fn === 'replace') {
      const pattern = args[1];
      // match(x, "(?i)".field): a pattern built per row still runs on the linear-time engine (see evaluate.ts)
      if (fn === 'match' && pattern.kind !== 'literal') return { kind: 'call', fn, args };
      if (pattern.kind !== 'literal' || typeof pattern.value !== 'string') return this.c.fail(token, `${fn}() needs a quoted pattern as its second argument`);
      if (fn !== 'like') {
        const compiled = compileLinearRegex(pattern.value);
        if (!compiled.ok) return this.c.fail(token, `${fn}(): ${compiled.reason}`);
      }
    }
    return { kind: 'call', fn, args };
  }

  /** error recovery: drop tokens through the call's closing parenthesis */
  private skipCall(): null {
    let depth = 1;
    while (depth > 0 && this.peek()) {
      const kind = this.take()!.kind;
      if (kind === 'lparen') depth++;
      else if (kind === 'rparen') depth--;
    }
    return null;
  }
}

export function isNumber(text: string): boolean {
  return text !== '' && Number.isFinite(Number(text));
}

/** `avg+stdev*2` -> `avg` `+` `stdev` `*` `2`; a quoted `'a.b'` field name stays whole */
function cutWord(token: Token): Token[] {
  const text = token.text;
  if (text === '.') return [{ ...token, kind: 'other' }];
  // `"(?i)".original_file_name`: the lexer glues the `.` joining a string to the next word
  if (text.startsWith('.') && isIdentifier(text.slice(1))) return [{ ...token, kind: 'other', text: '.' }, { ...token, text: text.slice(1), col: token.col + 1 }];
  if (text.startsWith("'") && text.endsWith("'")) return [token];
  const pieces: Token[] = [];
  let start = 0;
  const push = (end: number): void => {
    if (end > start) pieces.push({ ...token, text: text.slice(start, end), col: token.col + start });
  };
  for (let k = 0; k < text.length; k++) {
    if (!'+-*/%'.includes(text[k])) continue;
    push(k);
    pieces.push({ ...token, kind: 'other', text: text[k], col: token.col + k });
    start = k + 1;
  }
  push(text.length);
  return pieces;
}
