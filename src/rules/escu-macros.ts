import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { perContentRoot } from './content-tree.js';
import { escuMacroSchema } from './escu-schema.js';
import type { MacroDefinition, MacroLibrary } from './spl/macros.js';
import { listYamlFiles } from './yaml-files.js';
import { YamlLocator } from './yaml-locate.js';

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
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const pos = doc.errors[0].linePos?.[0] ?? { line: 1, col: 1 };
    return { name: fallbackName, reason: `${file}:${pos.line}:${pos.col}: YAML: ${doc.errors[0].message.split('\n')[0]}` };
  }
  const value = doc.toJS() as unknown;
  const parsed = escuMacroSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    const pos = new YamlLocator(doc, lines, text).at(at);
    const named = value && typeof value === 'object' && typeof (value as { name?: unknown }).name === 'string' ? (value as { name: string }).name : fallbackName;
    return { name: named, reason: `${file}:${pos.line}:${pos.col}: ${at.join('.') || '(document)'}: ${issue.message}` };
  }
  return { name: parsed.data.name, arguments: parsed.data.arguments, definition: parsed.data.definition, file };
}
