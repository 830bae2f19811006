/** A problem in an SPL string; line and col are 1-based within that string. */
export interface SplError {
  line: number;
  col: number;
  message: string;
}

export type TokenKind =
  | 'word' // unquoted run: field name, value, keyword or command name
  | 'string' // "quoted" value, escapes already processed
  | 'macro' // `name` or `name(arg, ...)`
  | 'pipe'
  | 'lparen'
  | 'rparen'
  | 'comma'
  | 'eq'
  | 'neq'
  | 'other'; // an operator or bracket the subset does not support (<, >=, ==, [, ...)

export interface Token {
  kind: TokenKind;
  /** the value: unescaped text for word/string, the macro name, the operator itself */
  text: string;
  /** macro arguments, unquoted and unescaped */
  args?: string[];
  /** why a macro token is malformed; reported by whoever interprets the token */
  invalid?: string;
  /** the content macro this token came from: it sits at the macro's use, errors name the macro */
  via?: string;
  line: number;
  col: number;
}

export interface LexResult {
  tokens: Token[];
  errors: SplError[];
}

const SINGLE: Record<string, TokenKind> = { '|': 'pipe', '(': 'lparen', ')': 'rparen', ',': 'comma' };
const WORD_STOP = new Set([' ', '\t', '\r', '\n', '|', '(', ')', ',', '=', '"', '`', '<', '>', '[', ']']);
const OTHER_OPERATORS = ['==', '<=', '>=', '<', '>', '[', ']'];

/**
 * Cuts SPL into tokens. Escapes follow Splunk: `\\` is one backslash, `\"` a quote; any other
 * backslash stays a literal backslash and the next character is read normally (so `\*` is a
 * backslash followed by the wildcard).
 */
export function lex(source: string): LexResult {
  const tokens: Token[] = [];
  const errors: SplError[] = [];
  let i = 0;
  let line = 1;
  let col = 1;

  const advance = (n: number): void => {
    for (let k = 0; k < n; k++) {
      if (source[i] === '\n') {
        line++;
        col = 1;
      } else {
        col++;
      }
      i++;
    }
  };

  /** reads one escape-aware character sequence at `i`, returning the unescaped text it stands for */
  const readEscaped = (): string => {
    if (source[i] === '\\' && (source[i + 1] === '\\' || source[i + 1] === '"')) {
      const ch = source[i + 1];
      advance(2);
      return ch;
    }
    const ch = source[i];
    advance(1);
    return ch;
  };

  while (i < source.length) {
    const ch = source[i];
    const at = { line, col };
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n') {
      advance(1);
    } else if (SINGLE[ch]) {
      tokens.push({ kind: SINGLE[ch], text: ch, ...at });
      advance(1);
    } else if (ch === '=') {
      const op = source.startsWith('==', i) ? '==' : '=';
      tokens.push({ kind: op === '=' ? 'eq' : 'other', text: op, ...at });
      advance(op.length);
    } else if (ch === '!' && source[i + 1] === '=') {
      tokens.push({ kind: 'neq', text: '!=', ...at });
      advance(2);
    } else if (ch === '"') {
      advance(1);
      let text = '';
      while (i < source.length && source[i] !== '"') text += readEscaped();
      if (i >= source.length) {
        errors.push({ ...at, message: 'unterminated quoted string' });
      } else {
        advance(1);
      }
      tokens.push({ kind: 'string', text, ...at });
    } else if (ch === '`') {
      const end = source.indexOf('`', i + 1);
      const body = source.slice(i + 1, end < 0 ? source.length : end);
      const parsed = end < 0 ? 'unterminated macro (missing closing backtick)' : parseMacroBody(body);
      if (typeof parsed === 'string') {
        tokens.push({ kind: 'macro', text: body, invalid: `malformed macro \`${body}\`: ${parsed}`, ...at });
      } else {
        tokens.push({ kind: 'macro', text: parsed.name, args: parsed.args, ...at });
      }
      advance((end < 0 ? source.length : end + 1) - i);
    } else {
      const other = OTHER_OPERATORS.find((op) => source.startsWith(op, i));
      if (other) {
        tokens.push({ kind: 'other', text: other, ...at });
        advance(other.length);
        continue;
      }
      let text = '';
      while (i < source.length && !WORD_STOP.has(source[i]) && !(source[i] === '!' && source[i + 1] === '=')) {
        text += readEscaped();
      }
      tokens.push({ kind: 'word', text, ...at });
    }
  }
  return { tokens, errors };
}

/** `name` or `name(a, "b")` -> name and unquoted args, or a reason it is malformed */
function parseMacroBody(body: string): { name: string; args: string[] } | string {
  const trimmed = body.trim();
  const open = trimmed.indexOf('(');
  const name = open < 0 ? trimmed : trimmed.slice(0, open).trim();
  // Splunk's macro names may start with a digit (ESCU's `3cx_..._filter`)
  if (!isIdentifier(`_${name}`)) return 'bad macro name';
  if (open < 0) return { name, args: [] };
  if (!trimmed.endsWith(')')) return 'missing closing parenthesis';
  const inner = trimmed.slice(open + 1, -1);
  const args: string[] = [];
  let current = '';
  let quoted = false;
  for (let k = 0; k < inner.length; k++) {
    const c = inner[k];
    if (c === '\\' && quoted && (inner[k + 1] === '"' || inner[k + 1] === '\\')) {
      current += inner[++k];
    } else if (c === '"') {
      quoted = !quoted;
    } else if (c === ',' && !quoted) {
      args.push(current.trim());
      current = '';
    } else {
      current += c;
    }
  }
  if (quoted) return 'unterminated quoted argument';
  args.push(current.trim());
  return { name, args };
}

export function isIdentifier(text: string): boolean {
  if (text.length === 0) return false;
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
    const digit = c >= 48 && c <= 57;
    if (!(letter || (k > 0 && (digit || c === 46 || c === 45 || c === 58)))) return false;
  }
  return true;
}
