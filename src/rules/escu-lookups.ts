import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { perContentRoot } from './content-tree.js';
import type { LookupTable } from './search-plan.js';
import type { LookupLibrary } from './spl/lookup-command.js';
import { listYamlFiles } from './yaml-files.js';

/**
 * ESCU's lookups (`lookups/*.yml` beside `detections/`): each names a CSV file in the same folder
 * and how Splunk matches it, as transforms.conf does (`match_type = WILDCARD(column)`,
 * `case_sensitive_match`, `min_matches`, `max_matches`, `default_match`). KV-store collections
 * have no file and cannot be read.
 */
const flag = z.union([z.boolean(), z.enum(['true', 'false', 'True', 'False'])]).transform((v) => v === true || String(v).toLowerCase() === 'true');
const count = z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]);
const lookupDefinitionSchema = z.object({
  name: z.string().min(1),
  filename: z.string().min(1).optional(),
  collection: z.string().optional(),
  match_type: z.string().optional(),
  case_sensitive_match: flag.optional(),
  min_matches: count.optional(),
  max_matches: count.optional(),
  default_match: z.union([z.string(), z.number(), z.boolean()]).transform(String).optional(),
});
type LookupDefinition = z.infer<typeof lookupDefinitionSchema> & { dir: string };

/** transforms.conf: max_matches defaults to 1000 for a lookup without a time field */
const DEFAULT_MAX_MATCHES = 1000;

/** The lookups of the ESCU tree a detection file sits in, loaded once per tree; undefined outside one. */
export const lookupsFor = perContentRoot('lookups', (dir) => loadLookupLibrary(dir));

export async function loadLookupLibrary(dir: string): Promise<LookupLibrary> {
  const definitions = new Map<string, LookupDefinition | string>();
  await Promise.all(
    listYamlFiles(dir).map(async (file) => {
      const fallback = path.basename(file).replace(/\.ya?ml$/i, '');
      try {
        const parsed = lookupDefinitionSchema.safeParse(parse(await readFile(file, 'utf8')));
        if (parsed.success) definitions.set(parsed.data.name, { ...parsed.data, dir });
        else definitions.set(fallback, `lookup definition ${file} cannot be loaded: ${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message}`);
      } catch (error) {
        definitions.set(fallback, `lookup definition ${file} cannot be loaded: ${(error as Error).message.split('\n')[0]}`);
      }
    }),
  );
  const tables = new Map<string, LookupTable | string>();
  return {
    table(name) {
      let table = tables.get(name);
      if (table === undefined) {
        table = loadTable(name, definitions, dir);
        tables.set(name, table);
      }
      return table;
    },
  };
}

function loadTable(name: string, definitions: Map<string, LookupDefinition | string>, dir: string): LookupTable | string {
  const definition = definitions.get(name) ?? (name.endsWith('.csv') ? { name, filename: name, dir } : undefined);
  if (definition === undefined) return `lookup ${name} is not defined in ${dir}`;
  if (typeof definition === 'string') return definition;
  if (!definition.filename) return `lookup ${name} is a KV store collection (${definition.collection ?? 'no file'}): tunnelwatch reads only CSV lookups`;
  let text: string;
  try {
    text = readFileSync(path.join(dir, definition.filename), 'utf8');
  } catch (error) {
    return `lookup ${name}: cannot read ${definition.filename}: ${(error as Error).message}`;
  }
  const [header = [], ...rows] = parseCsv(text);
  // a header written `a, b` names column `b` (ESCU's ransomware_notes lookup is one such file)
  const columns = header.map((c) => c.trim());
  if (columns.length === 0) return `lookup ${name}: ${definition.filename} has no header row`;
  const wildcards = new Set([...(definition.match_type ?? '').matchAll(/WILDCARD\(\s*([^)\s]+)\s*\)/g)].map((m) => m[1]));
  return {
    name,
    columns,
    rows,
    wildcard: columns.map((c) => wildcards.has(c)),
    // transforms.conf: case_sensitive_match defaults to true
    caseSensitive: definition.case_sensitive_match ?? true,
    minMatches: definition.min_matches ?? 0,
    maxMatches: definition.max_matches ?? DEFAULT_MAX_MATCHES,
    ...(definition.default_match !== undefined && { defaultMatch: definition.default_match }),
  };
}

/** RFC 4180 CSV: quoted fields may hold commas, line breaks and doubled quotes; CRLF or LF rows; blank lines skipped */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRow = (): void => {
    row.push(field);
    if (row.length > 1 || row[0] !== '') rows.push(row);
    row = [];
    field = '';
  };
  for (; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch !== '"') field += ch;
      else if (text[i + 1] === '"') field += text[++i];
      else quoted = false;
    } else if (ch === '"') {
      quoted = true;
    } else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRow();
    } else {
      field += ch;
    }
  }
  if (field !== '' || row.length > 0) endRow();
  return rows;
}
