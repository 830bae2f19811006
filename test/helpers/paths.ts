import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';

/** repository root (tests run from dist/test/...) */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const sharedData = path.resolve(repoRoot, '../shared/data');
export const sharedDataMissing = existsSync(sharedData) ? false : `../shared/data absent (${sharedData}): real-log tests need the shared corpus`;
export const contentDir = path.join(repoRoot, 'content');
export const examplesDir = path.join(repoRoot, 'examples');
/** the CLI as built by tsc (the bundled bin is `tunnelwatch.cjs` beside it) */
export const cliPath = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');
