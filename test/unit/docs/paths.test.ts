/** Docs never point at paths outside the repository (issue 19, item 8): a reader has only the repository. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../helpers/paths.js';

const pages = [
  'README.md',
  'bench/README.md',
  'examples/README.md',
  ...readdirSync(path.join(repoRoot, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`),
];

/** a Markdown link's target: relative to the page */
const LINK = /\]\(([^)\s]+)\)/g;
/** the words of the rest (code spans and blocks included): paths in commands are relative to the repository root */
const WORDS = /[\s`()[\]"'<>]+/;

function outsideRepo(from: string, target: string): boolean {
  if (/^[a-z]+:\/\//i.test(target) || target.startsWith('#')) return false;
  // this machine's work folders (a user's scratch files such as /tmp/r.jsonl are fine)
  if (target.startsWith('/work/')) return true;
  if (!target.startsWith('../')) return false;
  const resolved = path.resolve(repoRoot, from, target.split('#')[0]);
  return path.relative(repoRoot, resolved).startsWith('..');
}

test('no page of the docs links or names a path outside the repository', () => {
  const found: string[] = [];
  for (const page of pages) {
    const text = readFileSync(path.join(repoRoot, page), 'utf8');
    for (const [, target] of text.matchAll(LINK)) if (outsideRepo(path.dirname(page), target)) found.push(`${page}: ${target}`);
    for (const word of text.replace(LINK, ']').split(WORDS)) if (outsideRepo('.', word)) found.push(`${page}: ${word}`);
  }
  assert.deepEqual(found, []);
});
