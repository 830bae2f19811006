import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { skipCodes } from '../../../src/diagnostics/codes.js';
import { repoRoot } from '../../helpers/paths.js';

test('docs/errors.md documents exactly the skip codes the code can emit', () => {
  const doc = readFileSync(path.join(repoRoot, 'docs/errors.md'), 'utf8');
  const documented = [...doc.matchAll(/^### (\S+)$/gm)].map((m) => m[1]).sort();
  assert.deepEqual(documented, Object.keys(skipCodes).sort());
});
