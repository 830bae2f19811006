import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseCorrelation } from '../../../src/rules/correlation.js';
import { parseDetection } from '../../../src/rules/escu.js';
import { contentDir } from '../../helpers/paths.js';

const shipped = readFileSync(path.join(contentDir, 'detections/tunnelwatch/cloudflared_tunnel_execution.yml'), 'utf8');

/** 1-based line and column of the first occurrence of `needle` in `text` */
function at(text: string, needle: string): string {
  const offset = text.indexOf(needle);
  assert.ok(offset >= 0, `${needle} is in the text`);
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${before[before.length - 1].length + 1}`;
}

const errorsOf = (text: string) => parseDetection('d.yml', text).errors.map((e) => `${e.line}:${e.col} ${e.message}`);

test('the shipped detection loads without errors (the edits below are what break it)', () => {
  assert.deepEqual(errorsOf(shipped), []);
});

test('a misspelled key is an error at the key itself, at every depth of the schema', () => {
  const broken = shipped
    .replace(/^known_false_positives:/m, 'known_false_positive:')
    .replace(/^    analytic_story:/m, '    analytic_stories:')
    .replace(/^(\s+)- field: dest\n(\s+)type: system/m, '$1- field: dest\n$2typ: system')
    .replace(/^(\s+)source: crowdstrike/m, '$1sorce: crowdstrike');
  const errors = errorsOf(broken);
  for (const [key, path] of [
    ['known_false_positive:', 'known_false_positive'],
    ['analytic_stories:', 'tags.analytic_stories'],
    ['typ: system', 'rba.risk_objects.1.typ'],
    ['sorce: crowdstrike', 'tests.0.attack_data.0.sorce'],
  ]) {
    assert.ok(errors.includes(`${at(broken, key)} ${path}: unknown key (not in the detection schema; misspelled?)`), `${path} at ${at(broken, key)} in:\n${errors.join('\n')}`);
  }
});

test('tags.tools must be lower-case tool names, each once', () => {
  const upper = shipped.replace(/^(\s+tools:\n\s+- )cloudflared$/m, '$1Cloudflared');
  assert.notEqual(upper, shipped);
  assert.ok(errorsOf(upper).some((e) => e.startsWith(`${at(upper, 'Cloudflared\n')} tags.tools.0: a tool name in lower case`)), errorsOf(upper).join('\n'));
  const twice = shipped.replace(/^(\s+)tools:\n(\s+)- cloudflared$/m, '$1tools:\n$2- cloudflared\n$2- cloudflared');
  assert.notEqual(twice, shipped);
  assert.ok(errorsOf(twice).some((e) => e.includes('tags.tools: a tool is listed twice')), errorsOf(twice).join('\n'));
});

test('ESCU tags tunnelwatch does not read (cve, atomic_guid, manual_test) still load, so ESCU files load unchanged', () => {
  const escu = shipped.replace(/^    security_domain: endpoint$/m, "    security_domain: endpoint\n    cve:\n        - CVE-2024-0001\n    atomic_guid:\n        - 9f9b3f1e-0000-4000-8000-000000000000\n    manual_test: run it by hand");
  assert.notEqual(escu, shipped);
  assert.deepEqual(errorsOf(escu), []);
});

test('a correlation is strict too: a misspelled key in its correlation block is an error at the key', () => {
  const correlation = readFileSync(path.join(contentDir, 'correlations/confirmed_tunnel_process_beacon.yml'), 'utf8');
  const broken = correlation.replace(/^(\s+)window:/m, '$1windw:');
  assert.notEqual(broken, correlation);
  const errors = parseCorrelation('c.yml', broken).errors.map((e) => `${e.line}:${e.col} ${e.message}`);
  assert.ok(errors.includes(`${at(broken, 'windw:')} correlation.windw: unknown key (not in the detection schema; misspelled?)`), errors.join('\n'));
});
