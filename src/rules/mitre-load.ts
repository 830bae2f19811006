/** Reading content/mitre/techniques.yml (YAML) into a TacticTable, with every error located. */
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq } from 'yaml';
import { mitreIdPattern, TacticTable, tacticNames } from './mitre.js';
import type { ContentError } from './search-plan.js';
import { parseLocated } from './yaml-locate.js';

/** True when a parsed YAML document looks like a technique table: every key an ATT&CK id. */
export function isTechniqueTable(value: unknown): boolean {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((k) => mitreIdPattern.test(k));
}

export async function loadTacticTable(file: string): Promise<{ table: TacticTable; errors: ContentError[] }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return { table: new TacticTable(new Map()), errors: [{ file, line: 1, col: 1, message: `cannot read: ${(error as Error).message}` }] };
  }
  return parseTacticTable(file, text);
}

/** Parses `T1572: [command-and-control]` entries, reporting every bad id or tactic with its location. */
export function parseTacticTable(file: string, text: string): { table: TacticTable; errors: ContentError[] } {
  const { doc, locate, errors } = parseLocated(file, text);
  const map = new Map<string, string[]>();
  if (errors.length > 0) return { table: new TacticTable(map), errors };
  if (!isMap(doc.contents)) return { table: new TacticTable(map), errors: [{ file, line: 1, col: 1, message: 'expected a mapping of technique id -> [tactics]' }] };
  for (const pair of doc.contents.items) {
    const id = isScalar(pair.key) ? String(pair.key.value) : '';
    if (!mitreIdPattern.test(id)) errors.push({ file, ...locate.at([id]), message: `'${id}' is not an ATT&CK technique id like T1572 or T1090.002` });
    const tactics = isSeq(pair.value) ? pair.value.items.map((i) => (isScalar(i) ? String(i.value) : '')) : [];
    if (tactics.length === 0) errors.push({ file, ...locate.at([id]), message: `${id}: expected a non-empty list of tactics` });
    tactics.forEach((t, k) => {
      if (!(tacticNames as readonly string[]).includes(t)) errors.push({ file, ...locate.at([id, k]), message: `${id}: unknown tactic '${t}' (one of ${tacticNames.join(', ')})` });
    });
    map.set(id, tactics);
  }
  return { table: new TacticTable(map), errors };
}

