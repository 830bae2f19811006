import type { LookupTable, RowStage } from '../search-plan.js';
import type { Token } from './lexer.js';
import { describe, isKeyword, type TokenCursor } from './parser.js';

/** The lookups a search may name: ESCU's `lookups/` folder (see escu-lookups.ts). */
export interface LookupLibrary {
  /** the table of a lookup definition (or a CSV file name), every column; a string says why it cannot be used */
  table(name: string): LookupTable | string;
}

type LookupStage = Extract<RowStage, { kind: 'lookup' }>;

/**
 * `lookup [local=..] [update=..] <name> <column> [AS <field>] ... [OUTPUT|OUTPUTNEW <column> [AS <field>] ...]`
 * (Splunk's lookup command). Without an OUTPUT clause every column that is not matched on is
 * output under its own name. Returns the stage (its table keeps only the columns it reads), or
 * null with the errors on the cursor. `hasColumn` says whether a row column exists.
 */
export function parseLookup(c: TokenCursor, library: LookupLibrary | undefined, hasColumn: (name: string, at: Token) => boolean): LookupStage | null {
  while (c.peek()?.kind === 'word' && c.peek(1)?.kind === 'eq') {
    const option = c.next()!;
    c.next();
    c.next();
    // update= concerns real-time searches re-reading a changed table, local= where it runs: neither changes a result
    if (!isKeyword(option, 'update') && !isKeyword(option, 'local')) return c.fail(option, `lookup option \`${option.text}=\` is not supported (only local= and update=)`);
  }
  const nameToken = c.next();
  if (nameToken?.kind !== 'word' && nameToken?.kind !== 'string') return c.fail(nameToken, `expected a lookup name, found ${describe(nameToken)}`);
  if (!library) return c.fail(nameToken, `lookup ${nameToken.text}: lookups are read from the lookups/ folder of an ESCU tree, and this detection is not in one`);
  const table = library.table(nameToken.text);
  if (typeof table === 'string') return c.fail(nameToken, table);
  const inputs = fieldPairs(c, true);
  if (!inputs) return null;
  if (inputs.length === 0) return c.fail(c.peek(), `lookup ${table.name} needs a column to match on`);
  const mode = c.next();
  let outputs: Array<{ column: Token; as: Token }> | null = [];
  if (mode && !isKeyword(mode, 'output') && !isKeyword(mode, 'outputnew')) return c.fail(mode, `expected OUTPUT or OUTPUTNEW in lookup, found ${describe(mode)}`);
  if (mode) outputs = fieldPairs(c, false);
  if (!outputs) return null;
  const columnIndex = (token: Token): number | null => {
    const index = table.columns.indexOf(token.text);
    return index >= 0 ? index : c.fail(token, `lookup ${table.name} has no column ${token.text} (columns: ${table.columns.join(', ')})`);
  };
  const stageInputs: LookupStage['inputs'] = [];
  for (const { column, as } of inputs) {
    const index = columnIndex(column);
    if (index === null) return null;
    if (!hasColumn(as.text, as)) return null;
    stageInputs.push({ column: index, field: as.text });
  }
  const stageOutputs: LookupStage['outputs'] = [];
  if (!mode) {
    table.columns.forEach((name, index) => {
      if (!stageInputs.some((i) => i.column === index)) stageOutputs.push({ column: index, as: name });
    });
  }
  for (const { column, as } of outputs) {
    const index = columnIndex(column);
    if (index === null) return null;
    stageOutputs.push({ column: index, as: as.text });
  }
  return { kind: 'lookup', table: project(table, [...stageInputs.map((i) => i.column), ...stageOutputs.map((o) => o.column)]), ...renumber(stageInputs, stageOutputs), overwrite: !isKeyword(mode, 'outputnew') };
}

/** `a AS b, c d AS e` until OUTPUT/OUTPUTNEW (inputs) or the end */
function fieldPairs(c: TokenCursor, stopAtOutput: boolean): Array<{ column: Token; as: Token }> | null {
  const pairs: Array<{ column: Token; as: Token }> = [];
  while (!c.atEnd()) {
    if (c.accept('comma')) continue;
    if (stopAtOutput && (isKeyword(c.peek(), 'output') || isKeyword(c.peek(), 'outputnew'))) break;
    const column = c.next()!;
    if (column.kind !== 'word' && column.kind !== 'string') return c.fail(column, `expected a lookup column name, found ${describe(column)}`);
    let as = column;
    if (c.acceptKeyword('as')) {
      const named = c.next();
      if (named?.kind !== 'word' && named?.kind !== 'string') return c.fail(named, `expected a field name after AS, found ${describe(named)}`);
      as = named;
    }
    pairs.push({ column, as });
  }
  return pairs;
}

/** the table with only the given columns, in that order (each once) */
function project(table: LookupTable, indexes: number[]): LookupTable {
  const kept = [...new Set(indexes)];
  return {
    ...table,
    columns: kept.map((i) => table.columns[i]),
    wildcard: kept.map((i) => table.wildcard[i]),
    rows: table.rows.map((row) => kept.map((i) => row[i] ?? '')),
  };
}

/** column numbers after `project` */
function renumber(inputs: LookupStage['inputs'], outputs: LookupStage['outputs']): Pick<LookupStage, 'inputs' | 'outputs'> {
  const kept = [...new Set([...inputs.map((i) => i.column), ...outputs.map((o) => o.column)])];
  return {
    inputs: inputs.map((i) => ({ ...i, column: kept.indexOf(i.column) })),
    outputs: outputs.map((o) => ({ ...o, column: kept.indexOf(o.column) })),
  };
}
