import type { SplError, Token } from './lexer.js';
import type { LookupLibrary } from './lookup-command.js';
import { describe, errorAt, isKeyword } from './parser.js';

/** Splunk's subsearch returns at most this many rows by default (limits.conf [subsearch] maxout) */
const SUBSEARCH_MAXOUT = 10_000;

type Rows = Array<Record<string, string>>;

/**
 * The one subsearch form tunnelwatch runs: `[| inputlookup <lookup> | rename a as b | eval f = "x" . f
 * | table f]` over a CSV of the tree's lookups/. Its rows become what Splunk's implicit `format` makes
 * of them, `( ( f="v1" ) OR ( f="v2" ) )` (a row's columns joined by AND; a value's `*` is a
 * wildcard there as in any search), spliced where the brackets stood. Any other subsearch is left
 * in place for splitCommands to refuse; a form that starts so but cannot be run exactly is refused
 * here, at its `[`.
 */
export function expandSubsearches(tokens: Token[], lookups: LookupLibrary | undefined): { tokens: Token[]; errors: SplError[] } {
  const errors: SplError[] = [];
  const out: Token[] = [];
  for (let k = 0; k < tokens.length; k++) {
    const open = tokens[k];
    const close = isBracket(open, '[') ? closingBracket(tokens, k) : -1;
    const inner = close < 0 ? [] : tokens.slice(k + 1, close);
    if (close < 0 || !isKeyword(inner[inner[0]?.kind === 'pipe' ? 1 : 0], 'inputlookup')) {
      out.push(open);
      continue;
    }
    const rows = lookupRows(inner, open, lookups, errors);
    if (!rows) {
      // left in place: splitCommands cuts it out as one unit, so what follows reads as it would
      out.push(open);
      continue;
    }
    out.push(...formatted(rows, open));
    k = close;
  }
  return { tokens: out, errors };
}

function isBracket(token: Token | undefined, text: '[' | ']'): boolean {
  return token?.kind === 'other' && token.text === text;
}

function closingBracket(tokens: Token[], open: number): number {
  let depth = 0;
  for (let k = open; k < tokens.length; k++) {
    if (isBracket(tokens[k], '[')) depth++;
    else if (isBracket(tokens[k], ']') && --depth === 0) return k;
  }
  return -1;
}

/** runs `| inputlookup ... | rename | eval | table/fields` over the lookup's rows; null (reported) when it cannot */
function lookupRows(inner: Token[], at: Token, lookups: LookupLibrary | undefined, errors: SplError[]): Rows | null {
  const fail = (token: Token | undefined, message: string): null => {
    errors.push(errorAt(token ?? at, `subsearch: ${message}`));
    return null;
  };
  const commands: Token[][] = [[]];
  for (const token of inner) {
    if (token.kind === 'pipe') commands.push([]);
    else commands[commands.length - 1].push(token);
  }
  if (commands[0].length === 0) commands.shift();
  const [[head, name, ...extra], ...rest] = commands;
  if (name?.kind !== 'word' && name?.kind !== 'string') return fail(name ?? head, `inputlookup needs a lookup name, found ${describe(name)}`);
  if (extra.length > 0) return fail(extra[0], 'inputlookup options are not supported (inputlookup <lookup> only)');
  if (!lookups) return fail(name, `inputlookup ${name.text}: lookups are read from the lookups/ folder of an ESCU tree, and this detection is not in one`);
  const table = lookups.table(name.text);
  if (typeof table === 'string') return fail(name, table);
  if (table.rows.length > SUBSEARCH_MAXOUT) return fail(name, `inputlookup ${name.text} has ${table.rows.length} rows, more than a subsearch returns (${SUBSEARCH_MAXOUT}): Splunk would cut them`);
  // an empty CSV cell is no value (null) in Splunk's inputlookup, so format leaves it out
  let rows: Rows = table.rows.map((row) => Object.fromEntries(table.columns.flatMap((column, i) => (row[i] ? [[column, row[i]]] : []))));
  let selected = false;
  for (const [command, ...args] of rest) {
    const verb = command?.text.toLowerCase();
    if (verb === 'rename' && args.length === 3 && isKeyword(args[1], 'as')) {
      rows = rows.map(({ [args[0].text]: value, ...others }) => (value === undefined ? others : { ...others, [args[2].text]: value }));
    } else if (verb === 'eval' && args.length >= 3 && args[1].kind === 'eq') {
      const concat = concatenation(args.slice(2));
      if (!concat) return fail(args[2], 'only an eval that joins quoted text and columns with `.` is supported in a subsearch');
      const target = args[0].text;
      // a missing column makes the whole value null, and eval of null removes the column
      rows = rows.map(({ [target]: _old, ...row }) =>
        concat.every((p) => p.text !== undefined || row[p.column!] !== undefined || p.column === target) ? { ...row, [target]: concat.map((p) => p.text ?? (p.column === target ? _old : row[p.column!])).join('') } : row);
    } else if ((verb === 'table' || verb === 'fields') && args.length > 0 && args.every((a) => a.kind === 'word' || a.kind === 'comma')) {
      const keep = args.filter((a) => a.kind === 'word').map((a) => a.text);
      rows = rows.map((row) => Object.fromEntries(keep.filter((c) => c in row).map((c) => [c, row[c]])));
      selected = true;
    } else {
      return fail(command, `${describe(command)} is not supported in a subsearch (inputlookup, then rename, eval of joined text, table/fields)`);
    }
  }
  if (!selected) return fail(name, 'a subsearch over a lookup must end with `table` or `fields` naming the columns it returns');
  if (!rows.some((row) => Object.keys(row).length > 0)) return fail(name, `inputlookup ${name.text} returns no rows with those columns (Splunk's search then matches nothing)`);
  for (const row of rows) {
    for (const value of Object.values(row)) {
      // format escapes these, and a pattern here would read them back differently
      if (value.includes('"') || value.includes('\\')) return fail(name, `lookup value ${JSON.stringify(value)} holds a quote or a backslash, which the subsearch's format would escape`);
    }
  }
  return rows;
}

/** `"*" . f`, `"*".f`, `f . ".exe"`: quoted text and column names joined by `.` */
function concatenation(tokens: Token[]): Array<{ text?: string; column?: string }> | null {
  const pieces: Array<{ text?: string; column?: string }> = [];
  let wantOperand = true;
  for (const token of tokens) {
    if (token.kind === 'string' && wantOperand) {
      pieces.push({ text: token.text });
      wantOperand = false;
    } else if (token.kind === 'word' && token.text === '.' && !wantOperand) {
      wantOperand = true;
    } else if (token.kind === 'word' && token.text.startsWith('.') && token.text.length > 1 && !wantOperand) {
      pieces.push({ column: token.text.slice(1) });
    } else if (token.kind === 'word' && wantOperand && /^[A-Za-z_][\w.]*$/.test(token.text)) {
      pieces.push({ column: token.text });
      wantOperand = false;
    } else {
      return null;
    }
  }
  return wantOperand || pieces.length === 0 ? null : pieces;
}

/** Splunk's format: `( ( a="1" AND b="2" ) OR ( ... ) )`, a row without columns left out */
function formatted(rows: Rows, at: Token): Token[] {
  const token = (kind: Token['kind'], text: string): Token => ({ kind, text, line: at.line, col: at.col });
  const terms = rows.filter((row) => Object.keys(row).length > 0);
  const out: Token[] = [token('lparen', '(')];
  terms.forEach((row, i) => {
    if (i > 0) out.push(token('word', 'OR'));
    out.push(token('lparen', '('));
    Object.entries(row).forEach(([column, value], j) => {
      if (j > 0) out.push(token('word', 'AND'));
      out.push(token('word', column), token('eq', '='), token('string', value));
    });
    out.push(token('rparen', ')'));
  });
  out.push(token('rparen', ')'));
  return out;
}
