#!/usr/bin/env node
/**
 * The package's bin, bundled as CommonJS (scripts/bundle.mjs): an ES module entry point costs a run
 * Node's module loader before any of our code. A scan, the command whose start-up counts most, runs
 * from a CommonJS bundle of its own through V8's code cache (code-cache.ts); every other command
 * line goes to main.ts's bundle.
 */
import { fileURLToPath } from 'node:url';
import { runCommonJsBundle } from './code-cache.js';
import type { main as scanMain } from './scan-main.js';

if (process.argv[2] === 'scan') {
  const scan = runCommonJsBundle(fileURLToPath(new URL('./tunnelwatch-scan.cjs', import.meta.url))) as { main: typeof scanMain };
  void scan.main();
} else {
  void import('./main.js');
}
