import { createRequire } from 'node:module';

const requireBuiltin = createRequire(import.meta.url);
let loaded: typeof import('node:zlib') | undefined;

/**
 * node:zlib, loaded on first use: it is not in Node's start-up snapshot, so importing it costs
 * every run a few milliseconds, and a scan of plain text never needs it (gzip inputs and EVTX
 * checksums do).
 */
export function zlib(): typeof import('node:zlib') {
  loaded ??= requireBuiltin('node:zlib') as typeof import('node:zlib');
  return loaded;
}
