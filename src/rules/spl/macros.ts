import type { SplError, Token } from './lexer.js';

/**
 * The ESCU macros the compiler understands, by what they do to the plan. Any other macro is an
 * error: its expansion is unknown, so compiling around it would silently change the detection.
 */
export type Macro =
  /** expands to `summariesonly=... fillnull_value=null`: a tstats option */
  | { kind: 'summariesonly' }
  /** `rename X.* as *` over the output columns */
  | { kind: 'drop-dm-object-name'; object: string }
  /** renders an epoch-seconds output column as `%Y-%m-%dT%H:%M:%S` */
  | { kind: 'ctime'; column: string }
  /** the Sysmon source selection of a raw search */
  | { kind: 'sysmon' }
  /** `<detection>_filter`: empty by default, the user's tuning hook */
  | { kind: 'filter'; name: string };

const byName: Record<string, { arity: number; build: (args: string[]) => Macro }> = {
  security_content_summariesonly: { arity: 0, build: () => ({ kind: 'summariesonly' }) },
  drop_dm_object_name: { arity: 1, build: ([object]) => ({ kind: 'drop-dm-object-name', object }) },
  security_content_ctime: { arity: 1, build: ([column]) => ({ kind: 'ctime', column }) },
  sysmon: { arity: 0, build: () => ({ kind: 'sysmon' }) },
};

export function resolveMacro(token: Token): Macro | SplError {
  const name = token.text;
  const args = token.args ?? [];
  const at = { line: token.line, col: token.col };
  if (token.invalid) return { ...at, message: token.invalid };
  const known = byName[name];
  if (known) {
    if (args.length !== known.arity || args.some((a) => a === '')) {
      return { ...at, message: `macro \`${name}\` takes ${known.arity} argument(s), got ${args.length}` };
    }
    return known.build(args);
  }
  if (name.endsWith('_filter') && name.length > '_filter'.length) {
    if (args.length > 0) return { ...at, message: `filter macro \`${name}\` takes no arguments` };
    return { kind: 'filter', name };
  }
  return { ...at, message: `unknown macro \`${name}\`` };
}

export function isSplError(value: object): value is SplError {
  return 'message' in value;
}
