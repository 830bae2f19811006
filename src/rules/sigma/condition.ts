import { compileLinearRegex, escapeRegex } from '../linear-regex.js';
import type { Expr } from '../search-plan.js';
import { combine } from './search.js';

/** A condition problem at a 1-based column of the condition text. */
export interface ConditionError {
  col: number;
  message: string;
}

type Token = { kind: 'word' | 'lparen' | 'rparen' | 'pipe'; text: string; col: number };

/**
 * Compiles a Sigma condition (`sel and not 1 of filter_*`, parentheses, `all of them`) over the
 * rule's search identifiers, whose compiled expressions `searches` holds. Precedence, loosest
 * first: `or`, `and`, `not`. `them` means every identifier not starting with `_`. An aggregation
 * (`| count() > 5`, Sigma 1) is refused: Sigma 2 expresses it as a correlation rule.
 */
export function compileCondition(text: string, searches: ReadonlyMap<string, Expr>): { expr?: Expr; errors: ConditionError[] } {
  const errors: ConditionError[] = [];
  const tokens = tokenize(text, errors);
  let pos = 0;
  const peek = () => tokens[pos];
  const fail = (token: Token | undefined, message: string) => {
    errors.push({ col: token?.col ?? text.length + 1, message });
    return undefined;
  };
  const isWord = (t: Token | undefined, word: string) => t?.kind === 'word' && t.text.toLowerCase() === word;

  /** terms of the next tighter level joined by `word` (or / and) */
  const parseJoined = (word: 'or' | 'and', parseTerm: () => Expr | undefined): Expr | undefined => {
    const terms = [parseTerm()];
    while (isWord(peek(), word)) {
      pos++;
      terms.push(parseTerm());
    }
    return combine(word, terms);
  };
  const parseOr = (): Expr | undefined => parseJoined('or', parseAnd);
  const parseAnd = (): Expr | undefined => parseJoined('and', parseNot);
  const parseNot = (): Expr | undefined => {
    if (isWord(peek(), 'not')) {
      pos++;
      const term = parseNot();
      return term && { kind: 'not', term };
    }
    return parseAtom();
  };
  const parseAtom = (): Expr | undefined => {
    const token = peek();
    if (!token) return fail(token, 'condition ends where a search identifier was expected');
    if (token.kind === 'lparen') {
      pos++;
      const inner = parseOr();
      if (peek()?.kind !== 'rparen') return fail(peek(), `expected ')' to close the '(' at col ${token.col}`);
      pos++;
      return inner;
    }
    if (token.kind !== 'word' || ['and', 'or', 'not'].includes(token.text.toLowerCase())) {
      return fail(token, `unexpected '${token.text}' where a search identifier was expected`);
    }
    pos++;
    const quantifier = token.text.toLowerCase();
    if ((quantifier === '1' || quantifier === 'all' || quantifier === 'any') && isWord(peek(), 'of')) {
      pos++;
      return quantified(quantifier === 'all' ? 'and' : 'or', tokens[pos++], token);
    }
    if (/^\d+$/.test(quantifier) && isWord(peek(), 'of')) return fail(token, `'${token.text} of' is not Sigma: only '1 of' and 'all of'`);
    const search = searches.get(token.text);
    if (!search) return fail(token, `no search identifier '${token.text}' in detection (have: ${[...searches.keys()].join(', ')})`);
    return search;
  };
  const quantified = (kind: 'and' | 'or', target: Token | undefined, at: Token): Expr | undefined => {
    if (target?.kind !== 'word') return fail(target ?? at, `'${at.text} of' needs a search identifier pattern or 'them'`);
    const names = [...searches.keys()];
    const chosen =
      target.text.toLowerCase() === 'them' ? names.filter((n) => !n.startsWith('_')) : names.filter((n) => wildcardMatches(target.text, n));
    if (chosen.length === 0) return fail(target, `'${target.text}' matches no search identifier (have: ${names.join(', ')})`);
    return combine(kind, chosen.map((n) => searches.get(n)));
  };

  const expr = tokens.length === 0 ? fail(undefined, 'empty condition') : parseOr();
  if (pos < tokens.length && errors.length === 0) {
    const extra = tokens[pos];
    fail(extra, extra.kind === 'pipe' ? 'aggregations in conditions (`| count() ...`) are Sigma 1: write a correlation rule' : `unexpected '${extra.text}' after a complete condition`);
  }
  return errors.length === 0 && expr ? { expr, errors } : { errors };
}

function tokenize(text: string, errors: ConditionError[]): Token[] {
  const tokens: Token[] = [];
  const re = /\s+|(\()|(\))|(\|)|([A-Za-z0-9_*.\-]+)|(.)/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const col = m.index + 1;
    if (m[1]) tokens.push({ kind: 'lparen', text: '(', col });
    else if (m[2]) tokens.push({ kind: 'rparen', text: ')', col });
    else if (m[3]) {
      // a Sigma 1 aggregation follows: refused as a whole at the pipe
      tokens.push({ kind: 'pipe', text: '|', col });
      break;
    }
    else if (m[4]) tokens.push({ kind: 'word', text: m[4], col });
    else if (m[5]) errors.push({ col, message: `unexpected character '${m[5]}' in condition` });
  }
  return tokens;
}

/** identifier patterns use `*` only, matched by a linear-time expression */
function wildcardMatches(pattern: string, name: string): boolean {
  if (!pattern.includes('*')) return pattern === name;
  const source = pattern.split('*').map((part) => escapeRegex(part)).join('.*');
  const compiled = compileLinearRegex(`^${source}$`);
  return compiled.ok && compiled.regex.test(name);
}
