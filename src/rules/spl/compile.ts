import type { Expr, OutputSettings, SearchPlan } from '../search-plan.js';
import { lex, type SplError, type Token } from './lexer.js';
import { errorAt, isKeyword, splitCommands, TokenCursor } from './parser.js';
import { parseExpr, type ExprMode } from './expression-parser.js';
import { expandMacros, type MacroLibrary } from './macros.js';
import { PlanBuilder } from './plan-builder.js';
import { expandSubsearches } from './subsearch.js';
import type { LookupLibrary } from './lookup-command.js';

export type { SplError } from './lexer.js';

/**
 * Compiles an ESCU `search:` (the subset documented in docs/detections.md) into a SearchPlan and
 * the SPL output settings its later commands imply. Every problem found is reported; a plan is
 * returned only when there is none. `macros`: the content folder's own macro definitions,
 * expanded before parsing as Splunk does; `lookups`: its lookups/ folder, for `lookup`.
 */
export function compileSearch(spl: string, macros?: MacroLibrary, lookups?: LookupLibrary): CompiledSearch {
  const lexed = lex(spl);
  const expanded = expandMacros(lexed.tokens, macros);
  return compileTokens(expanded.tokens, [...lexed.errors, ...expanded.errors], lookups);
}

type CompiledSearch = { plan?: SearchPlan; output?: OutputSettings; errors: SplError[] };

/**
 * A search already lexed with its macros expanded: the whole search, or a join's subsearch (`at`
 * its `[`), whose lookup subsearches the whole search's expansion already ran.
 */
function compileTokens(tokens: Token[], earlier: SplError[], lookups: LookupLibrary | undefined, at?: Token): CompiledSearch {
  const subsearches = at ? { tokens, errors: [] } : expandSubsearches(tokens, lookups);
  const split = splitCommands(subsearches.tokens);
  const builder = new PlanBuilder([...earlier, ...subsearches.errors, ...split.errors], lookups, (inner, open) => compileTokens(inner, [], lookups, open));
  if (split.commands.length === 0) {
    builder.errors.push(at ? errorAt(at, 'empty subsearch') : { line: 1, col: 1, message: 'empty search' });
    return { errors: builder.errors };
  }
  const [first, ...rest] = split.commands;
  if (split.leadingPipe) builder.generating(first);
  else builder.rawSearch(first);
  for (const command of rest) builder.command(command);
  return builder.finish();
}

/**
 * Compiles a tuning filter: `search <expr>`, `where <expr>` or a bare `<expr>` (search
 * semantics) over output column names. Column names are not checked here; the caller knows them.
 */
export function compileFilter(spl: string): { expr?: Expr; errors: SplError[] } {
  const lexed = lex(spl);
  const errors = [...lexed.errors];
  const tokens = lexed.tokens;
  if (tokens.length === 0) return { errors: [...errors, { line: 1, col: 1, message: 'empty filter' }] };
  for (const token of tokens) {
    if (token.kind === 'pipe') errors.push(errorAt(token, 'a filter is one search or where expression: `|` is not allowed'));
  }
  let mode: ExprMode = 'search';
  let start = 0;
  const head = tokens[0];
  const isCommand = tokens.length > 1 && tokens[1].kind !== 'eq' && tokens[1].kind !== 'neq' && !isKeyword(tokens[1], 'in');
  if (isCommand && (isKeyword(head, 'search') || isKeyword(head, 'where'))) {
    mode = head.text.toLowerCase() as ExprMode;
    start = 1;
  }
  const cursor = new TokenCursor(
    tokens.filter((t, k) => k >= start && t.kind !== 'pipe'),
    tokens[tokens.length - 1],
  );
  const expr = parseExpr(cursor, mode, (name) => name);
  errors.push(...cursor.errors);
  return errors.length === 0 && expr ? { expr, errors } : { errors };
}
