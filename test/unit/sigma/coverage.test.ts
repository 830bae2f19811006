import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parseSigmaRule } from '../../../src/rules/sigma/rule.js';
import { listYamlFiles } from '../../../src/rules/yaml-files.js';
import { sharedData, sharedDataMissing } from '../../helpers/paths.js';

const rulesRoot = path.join(sharedData, 'sigma-rules', 'rules');
/** the five categories of issue 17 */
const categories = ['windows/process_creation', 'windows/dns_query', 'windows/network_connection', 'windows/image_load', 'linux/process_creation'];

test('SigmaHQ load coverage over the five categories is at least 99%, and every rule not loaded says where and why', { skip: sharedDataMissing }, () => {
  const notLoaded: string[] = [];
  let total = 0;
  for (const category of categories) {
    for (const file of listYamlFiles(path.join(rulesRoot, category))) {
      total++;
      const result = parseSigmaRule(file, readFileSync(file, 'utf8'));
      if (result.detections.length > 0) continue;
      assert.ok(result.notLoaded.length > 0, `${file}: not loaded and no reason given`);
      for (const e of result.notLoaded) {
        assert.ok(e.line >= 1 && e.col >= 1 && e.message.length > 0);
        notLoaded.push(`${path.relative(rulesRoot, e.file)}:${e.line}:${e.col}: ${e.message}`);
      }
    }
  }
  const failedRules = new Set(notLoaded.map((l) => l.split(':')[0])).size;
  const coverage = (total - failedRules) / total;
  process.stdout.write(`# Sigma load coverage: ${total - failedRules}/${total} (${(coverage * 100).toFixed(2)}%)\n${notLoaded.map((l) => `#   ${l}`).join('\n')}\n`);
  assert.ok(total > 1400, `only ${total} rules found under ${rulesRoot}`);
  assert.ok(coverage >= 0.99, `load coverage ${(coverage * 100).toFixed(2)}% < 99%`);
});
