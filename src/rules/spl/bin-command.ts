import type { RowStage } from '../search-plan.js';
import type { Token } from './lexer.js';
import { describe, isKeyword, spanSeconds, type TokenCursor } from './parser.js';

/**
 * `bin [span=<time span>] <column> [as <new>]` (`bucket` is its other name). Only an explicit time
 * span is taken: without one, or with bins=/minspan=/start=/end=/aligntime=, Splunk picks the bins
 * from the range of the data, and a span without a time unit makes text ranges (`10-20`) of
 * numbers. The span is counted from the epoch, in UTC, as tstats' `span=` is.
 */
export function parseBin(c: TokenCursor, column: (name: string, at: Token) => boolean): Extract<RowStage, { kind: 'bin' }> | null {
  let span: number | undefined;
  let field: Token | undefined;
  let as: Token | undefined;
  while (!c.atEnd()) {
    const token = c.next()!;
    if (c.peek()?.kind === 'eq') {
      c.next();
      const value = c.next();
      if (!isKeyword(token, 'span')) return c.fail(token, `bin option \`${token.text}=\` is not supported (only span= with a time unit)`);
      span = value && /[a-z]$/i.test(value.text) ? spanSeconds(value.text) : undefined;
      if (span === undefined) return c.fail(value ?? token, `bin span= needs a time span such as 1h, 5m or 1d (a bare number makes text ranges), found ${describe(value)}`);
    } else if (isKeyword(token, 'as')) {
      as = c.next();
      if (as?.kind !== 'word' && as?.kind !== 'string') return c.fail(as, `expected a column name after as, found ${describe(as)}`);
    } else if ((token.kind === 'word' || token.kind === 'string') && field === undefined) {
      field = token;
    } else {
      return c.fail(token, `unexpected ${describe(token)} in bin (bin span=1h column [as new])`);
    }
  }
  if (!field) return c.fail(undefined, 'bin needs a column');
  if (span === undefined) return c.fail(field, 'bin needs span= (without it Splunk picks bins from the range of the data)');
  if (!column(field.text, field)) return null;
  return { kind: 'bin', field: field.text, span, as: (as ?? field).text };
}
