import { createRequire } from 'node:module';

const requireBuiltin = createRequire(import.meta.url);

/**
 * Node built-in modules loaded on first use rather than imported: neither is in Node's start-up
 * snapshot, so an import costs every run a few milliseconds (zlib) or about two (v8, with the
 * internal modules it pulls in), and a short scan of plain text needs neither.
 */
let loadedZlib: typeof import('node:zlib') | undefined;
let loadedV8: typeof import('node:v8') | undefined;

/** node:zlib: gzip inputs and EVTX checksums need it */
export function zlib(): typeof import('node:zlib') {
  loadedZlib ??= requireBuiltin('node:zlib') as typeof import('node:zlib');
  return loadedZlib;
}

/** node:v8: the heap guard's first look at the heap needs it */
export function v8(): typeof import('node:v8') {
  loadedV8 ??= requireBuiltin('node:v8') as typeof import('node:v8');
  return loadedV8;
}
