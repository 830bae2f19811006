import type { JoinedSearch, OutputSettings, RowStage, SearchPlan } from '../search-plan.js';
import { keyColumns, rowColumns } from '../plan-fields.js';
import { isIdentifier, type SplError, type Token } from './lexer.js';
import { describe, errorAt, isKeyword } from './parser.js';

/** Compiles a join's subsearch (its tokens between the brackets; `at` the `[`), as a search of its own. */
export type SubsearchCompiler = (tokens: Token[], at: Token) => { plan?: SearchPlan; output?: OutputSettings; errors: SplError[] };

/** A parsed `join`: what the row builder needs to check its fields against both sides' columns. */
export interface JoinAst {
  type: 'inner' | 'left';
  overwrite: boolean;
  /** the join fields as written; none: every column the two sides share */
  fields: Token[];
  search: JoinedSearch;
}

const booleans: Record<string, boolean> = { true: true, t: true, 1: true, yes: true, false: false, f: false, 0: false, no: false };

/**
 * `join [type=inner|outer|left] [overwrite=<bool>] [max=1] [usetime=false] [earlier=<bool>] [<field>, ...]
 * [| tstats ... ]`, Splunk's join, for the one subsearch form that runs as a second aggregation over
 * the same events: a `| tstats` over a mapped data model, with the row commands any tstats takes.
 * Forms whose meaning tunnelwatch cannot keep exactly are refused, each at its token: `max=0` (and
 * any max but 1: one row would become several), `usetime=true` (matches by the time order of events
 * the rows no longer have), any other subsearch. Reports into `errors`; null when the subsearch
 * cannot be read (a refused option is reported and the join returned, its columns known).
 */
export function parseJoin(head: Token, args: Token[], compile: SubsearchCompiler, errors: SplError[]): JoinAst | null {
  const fail = (at: Token, message: string): null => {
    errors.push(errorAt(at, `join: ${message}`));
    return null;
  };
  const ast: Omit<JoinAst, 'search'> = { type: 'inner', overwrite: true, fields: [] };
  let k = 0;
  for (; k < args.length && !(args[k].kind === 'other' && args[k].text === '['); k++) {
    const token = args[k];
    if (token.kind === 'comma') continue;
    if (token.kind === 'word' && args[k + 1]?.kind === 'eq') {
      const value = args[k + 2];
      k += 2;
      if (!value) return fail(token, `option ${token.text}= needs a value`);
      // reported; the subsearch is still read, so that commands after the join find its columns
      option(ast, token, value, fail);
    } else if ((token.kind === 'word' && isIdentifier(token.text)) || token.kind === 'string') {
      ast.fields.push(token);
    } else {
      return fail(token, `expected a field name or an option, found ${describe(token)}`);
    }
  }
  const open = args[k];
  if (!open) return fail(head, 'join needs a subsearch: `join <fields> [| tstats ... ]`');
  const close = args[args.length - 1];
  if (args.length - 1 === k || !(close.kind === 'other' && close.text === ']')) return fail(args[args.length - 1], 'expected `]` to end the subsearch, as the last thing of the join command');
  const inner = args.slice(k + 1, -1);
  if (inner[0]?.kind !== 'pipe' || !isKeyword(inner[1], 'tstats')) {
    const first = inner[0]?.kind === 'pipe' ? inner[1] : inner[0];
    return fail(first ?? open, `only a \`[| tstats ... from datamodel=...]\` subsearch is supported (a second aggregation over the same events), found ${describe(first)}`);
  }
  const compiled = compile(inner, open);
  errors.push(...compiled.errors);
  if (!compiled.plan || !compiled.output) return null;
  if (compiled.output.filterMacro) return fail(open, `a tuning filter macro (\`${compiled.output.filterMacro}\`) inside the subsearch is not supported: tune the detection's own rows`);
  if (compiled.output.rowStages.some((s) => s.kind === 'join')) return fail(open, 'a join inside a join\'s subsearch is not supported');
  return { ...ast, search: { plan: compiled.plan, output: compiled.output } };
}

/** reads one `key=value` option into `ast`; a refused one is reported through `fail`, at its token */
function option(ast: Omit<JoinAst, 'search'>, key: Token, value: Token, fail: (at: Token, message: string) => void): void {
  const name = key.text.toLowerCase();
  const text = value.text.toLowerCase();
  const flag = Object.hasOwn(booleans, text) ? booleans[text] : undefined;
  let refused: [Token, string] | undefined;
  if (name === 'type') {
    if (text === 'inner') ast.type = 'inner';
    // Splunk's outer and left are one join: every main row stays
    else if (text === 'outer' || text === 'left') ast.type = 'left';
    else refused = [value, `type=${value.text}: the join types are inner, outer and left`];
  } else if (name === 'max') {
    const joins = text === '0' ? 'every matching subsearch row' : `up to ${value.text} matching subsearch rows`;
    if (text !== '1') refused = [key, `max=${value.text} joins ${joins} to each row, making several rows of one: only max=1 (the default, the first matching row) is supported`];
  } else if (name === 'usetime' || name === 'overwrite' || name === 'earlier') {
    if (flag === undefined) refused = [value, `${name}= needs true or false, found ${describe(value)}`];
    else if (name === 'usetime' && flag) refused = [key, 'usetime=true matches rows by the time order of their events, which aggregated rows do not keep: not supported'];
    // earlier= only means something with usetime=true, which is refused
    else if (name === 'overwrite') ast.overwrite = flag;
  } else {
    refused = [key, `option \`${key.text}=\` is not supported (type, max, overwrite, usetime, earlier)`];
  }
  if (refused) fail(...refused);
}

type JoinStage = Extract<RowStage, { kind: 'join' }>;

/**
 * The join stage over rows with `columns`, `keys` the group-by ones among them: each join field
 * (or, none named, every column both sides have) must be a group-by column on both sides, a column
 * holding one value per row (a computed one may hold several, whose matching Splunk leaves
 * unspecified). The subsearch's other columns are written. Null, reported through `fail`, otherwise.
 */
export function joinStage(ast: JoinAst, at: Token, main: { columns: string[]; keys: string[] }, fail: (at: Token, message: string) => void): JoinStage | null {
  const { plan, output } = ast.search;
  const subColumns = rowColumns(plan, output);
  const subKeys = keyColumns(plan.by.map((b) => b.as), output.rowStages);
  const named = ast.fields.length > 0 ? ast.fields.map((t) => ({ name: t.text, at: t })) : main.columns.filter((c) => subColumns.includes(c)).map((name) => ({ name, at }));
  if (named.length === 0) fail(at, `join: the rows and the subsearch share no column to join on (subsearch columns: ${subColumns.join(', ')})`);
  let ok = named.length > 0;
  for (const { name, at: token } of named) {
    const problem =
      !main.columns.includes(name) ? `no output column ${name} to join on (columns: ${main.columns.join(', ')})`
      : !subColumns.includes(name) ? `the subsearch has no column ${name} (columns: ${subColumns.join(', ')})`
      : !main.keys.includes(name) || !subKeys.includes(name) ? `${name} is computed ${main.keys.includes(name) ? 'in the subsearch' : 'in the rows'}, not a group-by column, so it may hold several values: join on tstats/stats BY columns`
      : undefined;
    if (problem) {
      fail(token, `join: ${problem}`);
      ok = false;
    }
  }
  if (!ok) return null;
  const fields = [...new Set(named.map((n) => n.name))];
  return {
    kind: 'join',
    search: ast.search,
    type: ast.type,
    fields: fields.map((name) => ({ main: name, sub: name })),
    columns: subColumns.filter((c) => !fields.includes(c)).map((c) => ({ sub: c, as: c })),
    overwrite: ast.overwrite,
  };
}
