import { lex, type SplError, type Token } from './lexer.js';

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

/** Macros whose meaning is built in: a content folder's definition of them is not used. */
export function isBuiltInMacro(name: string): boolean {
  return name in byName || (name.endsWith('_filter') && name.length > '_filter'.length);
}

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
  return { ...at, message: `unknown macro \`${name}\` (not built in, and no macros/ folder beside the detections defines it)` };
}

export function isSplError(value: object): value is SplError {
  return 'message' in value;
}

/** A macro as a content folder defines it (ESCU's `macros/*.yml`): SPL text with `$argument$` slots. */
export interface MacroDefinition {
  name: string;
  arguments: string[];
  definition: string;
  /** where it was defined, for messages */
  file: string;
}

/** A content folder's macros: every definition by name, and why each unloadable one could not load. */
export interface MacroLibrary {
  definitions: ReadonlyMap<string, readonly MacroDefinition[]>;
  /** macro name -> `file:line:col: reason` */
  unloadable: ReadonlyMap<string, string>;
}

/** deeper than any real macro chain: a cycle that escapes the name check still ends */
const MAX_DEPTH = 16;

/**
 * Replaces every content macro by the tokens of its definition, as Splunk expands macros before
 * parsing. Built-in macros stay tokens. Expanded tokens take the position of the macro's use (the
 * only place the detection's author can change) and carry its name for messages.
 */
export function expandMacros(tokens: Token[], library: MacroLibrary | undefined): { tokens: Token[]; errors: SplError[] } {
  const errors: SplError[] = [];
  if (!library) return { tokens, errors };
  const expand = (input: Token[], stack: string[], use?: Token): Token[] => {
    const out: Token[] = [];
    for (const token of input) {
      if (token.kind !== 'macro' || token.invalid || isBuiltInMacro(token.text)) {
        out.push(use ? { ...token, line: use.line, col: use.col, via: use.via ?? use.text } : token);
        continue;
      }
      const at = use ?? token;
      const problem = (message: string): void => {
        errors.push({ line: at.line, col: at.col, message: use ? `${message} (in the expansion of macro \`${use.via ?? use.text}\`)` : message });
      };
      const name = token.text;
      const args = token.args ?? [];
      const unloadable = library.unloadable.get(name);
      const candidates = library.definitions.get(name) ?? [];
      const definition = candidates.find((d) => d.arguments.length === args.length);
      if (!definition) {
        if (unloadable) problem(`macro \`${name}\` cannot be loaded: ${unloadable}`);
        else if (candidates.length > 0) problem(`macro \`${name}\` takes ${candidates.map((d) => d.arguments.length).join(' or ')} argument(s), got ${args.length}`);
        else out.push(use ? { ...token, line: use.line, col: use.col, via: use.via ?? use.text } : token);
        continue;
      }
      if (stack.includes(name) || stack.length >= MAX_DEPTH) {
        problem(`macro \`${name}\` expands into itself (${[...stack, name].join(' -> ')})`);
        continue;
      }
      const text = definition.arguments.reduce((body, arg, k) => body.split(`$${arg}$`).join(args[k]), definition.definition);
      const lexed = lex(text);
      for (const e of lexed.errors) problem(`macro \`${name}\` (${definition.file}): ${e.message} at ${e.line}:${e.col} of its definition`);
      out.push(...expand(lexed.tokens, [...stack, name], use ?? token));
    }
    return out;
  };
  return { tokens: expand(tokens, []), errors };
}
