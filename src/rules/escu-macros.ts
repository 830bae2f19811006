import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { perContentRoot } from './content-tree.js';
import { escuMacroSchema } from './escu-schema.js';
import type { MacroDefinition, MacroLibrary } from './spl/macros.js';
import { listYamlFiles } from './yaml-files.js';
import { parseLocated, schemaErrors } from './yaml-locate.js';
import type { ContentError } from './search-plan.js';

/** The macro library for a detection file, loaded once per content root; undefined outside an ESCU tree. */
export const macrosFor = perContentRoot('macros', (dir) => loadMacroLibrary(dir));

/** Reads every macro file of a folder; a file that cannot load is recorded with its reason, by name. */
export async function loadMacroLibrary(dir: string): Promise<MacroLibrary> {
  const definitions = new Map<string, MacroDefinition[]>();
  const unloadable = new Map<string, string>();
  await Promise.all(
    listYamlFiles(dir).map(async (file) => {
      const loaded = parseMacro(file, await readFile(file, 'utf8').catch((e: Error) => e));
      if ('reason' in loaded) unloadable.set(loaded.name, loaded.reason);
      else definitions.set(loaded.name, [...(definitions.get(loaded.name) ?? []), loaded]);
    }),
  );
  return { definitions, unloadable };
}

function parseMacro(file: string, text: string | Error): MacroDefinition | { name: string; reason: string } {
  const fallbackName = path.basename(file).replace(/\.ya?ml$/i, '');
  if (text instanceof Error) return { name: fallbackName, reason: `${file}:1:1: cannot read: ${text.message}` };
  const { data: value, errors, locate } = parseLocated(file, text);
  if (errors.length > 0) return { name: fallbackName, reason: located(errors[0]) };
  const parsed = escuMacroSchema.safeParse(value);
  if (!parsed.success) {
    const named = value && typeof value === 'object' && typeof (value as { name?: unknown }).name === 'string' ? (value as { name: string }).name : fallbackName;
    return { name: named, reason: located(schemaErrors(file, parsed.error.issues, locate)[0]) };
  }
  return { name: parsed.data.name, arguments: parsed.data.arguments, definition: parsed.data.definition, file };
}

const located = (e: ContentError) => `${e.file}:${e.line}:${e.col}: ${e.message}`;
