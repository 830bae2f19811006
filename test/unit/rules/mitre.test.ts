import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadTacticTable, parseTacticTable } from '../../../src/rules/mitre-load.js';
import { TacticTable } from '../../../src/rules/mitre.js';

import { repoRoot } from '../../helpers/paths.js';
const content = path.join(repoRoot, 'content');

async function yamlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(entries.map((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? yamlFiles(full) : Promise.resolve(/\.ya?ml$/.test(e.name) ? [full] : []);
  }));
  return nested.flat();
}

test('every ATT&CK technique id used anywhere in content/ has its tactics in content/mitre/techniques.yml', async () => {
  const file = path.join(content, 'mitre', 'techniques.yml');
  const { table, errors } = await loadTacticTable(file);
  assert.deepEqual(errors, []);
  const used = new Set<string>();
  for (const f of await yamlFiles(content)) {
    if (f === file) continue;
    for (const m of (await readFile(f, 'utf8')).matchAll(/\bT\d{4}(?:\.\d{3})?\b/g)) used.add(m[0]);
  }
  assert.ok(used.has('T1572'), 'the story detections use T1572');
  const missing = [...used].filter((id) => !table.has(id));
  assert.deepEqual(missing, [], `add these to ${file}`);
});

test('the story techniques map to their ATT&CK tactics', async () => {
  const { table } = await loadTacticTable(path.join(content, 'mitre', 'techniques.yml'));
  assert.deepEqual(table.tacticsOf(['T1572', 'T1090', 'T1102']), ['command-and-control']);
  assert.deepEqual(table.tacticsOf(['T1021.004']), ['lateral-movement']);
  assert.deepEqual(table.tacticsOf(['T1133']), ['initial-access', 'persistence']);
});

test('a sub-technique missing from the table inherits its parent technique tactics', () => {
  const table = new TacticTable(new Map([['T1090', ['command-and-control']]]));
  assert.deepEqual(table.tacticsOf(['T1090.009']), ['command-and-control']);
  assert.deepEqual(table.tacticsOf(['T9999']), []);
});

test('bad technique ids and unknown tactics are reported with their lines', () => {
  const { errors } = parseTacticTable('m.yml', 'T1572: [command-and-control]\nT15: [execution]\nT1090: [command-control]\n');
  assert.deepEqual(errors.map((e) => e.line), [2, 3]);
  assert.match(errors[0].message, /'T15' is not an ATT&CK technique id/);
  assert.match(errors[1].message, /unknown tactic 'command-control'/);
});
