import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Script } from 'node:vm';
import { cacheDir, cacheKey, cachingDisabled, readOrUndefined, sealed, unsealed, writeCached } from '../rules/cache-files.js';

/** code caches kept: one per build, Node binary and V8 flags in use, so a handful is plenty */
const KEEP = 4;
const PREFIX = 'code-';

/**
 * How a bundle for runCommonJsBundle begins (scripts/bundle.mjs writes it; `})` ends it): the file
 * is the function Node would wrap a CommonJS module in, so V8 compiles its bytes as they are, not
 * a copy joined to a wrapper.
 */
export const BUNDLE_HEAD = '(function (exports, require, module, __filename, __dirname) {';
export const BUNDLE_TAIL = '})';

/**
 * Runs a CommonJS bundle (scripts/bundle.mjs builds the scan's) with V8's code cache, and returns
 * its exports. Node 20 compiles an ES module from source on every run, and most of a small scan's
 * start-up was V8 parsing, compiling and first running our code; here the bytecode of every
 * function the first run compiled comes from the user's cache directory instead, and the source
 * is only kept for what the cache lacks (V8 then compiles that lazily, as usual).
 *
 * The cache is written at the exit of a run that had none (or one V8 refused), so it holds what
 * that whole run compiled, not only the top level, and again after a run that exercised something
 * new (another log format, another output: CodeCacheHints), so it grows to what the user's scans
 * run; a run that was not a usual one (it compiled its rules from YAML) writes none.
 *
 * V8 refuses a cache made by another V8 version, with other flags, or for a source of another
 * length; the file's name also carries the bundle's path, size and modification time and Node's
 * version, so a rebuilt bundle never meets an older build's bytecode. V8 checks no checksum of its
 * own (release builds): the file carries a SHA-256 of the cache (node:crypto, which the scan loads
 * anyway), so a file damaged on disk is refused and replaced, never run. V8's
 * `--verify-snapshot-checksum`, set at run time instead, cost each scan ~7 ms and widened the
 * spread of its times (bench/README.md, seventeenth session).
 */
export function runCommonJsBundle(file: string): unknown {
  const cacheFile = cachingDisabled() ? undefined : codeCacheFile(file);
  const cached = cacheFile === undefined ? undefined : decodeCodeCache(readOrUndefined(cacheFile));
  // the bundle is ASCII (the build checks): read as latin1 it is one byte a character, like the file
  const source = readFileSync(file, 'latin1');
  if (!source.startsWith(BUNDLE_HEAD) || !source.trimEnd().endsWith(BUNDLE_TAIL)) throw new Error(`${file} is not a bundle scripts/bundle.mjs made: rebuild with npm run build`);
  const script = new Script(source, { filename: file, ...(cached && { cachedData: cached.data }) });
  const module: { exports: CodeCacheHints } = { exports: {} };
  if (cacheFile) {
    process.once('exit', () => {
      const hints = module.exports;
      if (hints.usualRun?.() === false) return;
      const traits = hints.traits?.() ?? [];
      const kept = cached && !script.cachedDataRejected ? cached.traits : undefined;
      if (kept && traits.every((trait) => kept.includes(trait))) return;
      // a cache V8 accepted holds its runs' bytecode still: made now, it has this run's as well
      writeCached(cacheFile, encodeCodeCache([...new Set([...(kept ?? []), ...traits])].sort(), script.createCachedData()), PREFIX, KEEP);
    });
  }
  (script.runInThisContext() as BundleWrapper)(module.exports, createRequire(file), module, file, path.dirname(file));
  return module.exports;
}

/** What a bundle may export to guide its cache (scan-main.ts does). */
export interface CodeCacheHints {
  /**
   * Whether this run's code is a usual run's, and its bytecode worth keeping: a scan that compiled
   * its rules from YAML ran the YAML and schema libraries too, bytecode every later run would
   * deserialise and never use. Without it, any run is.
   */
  usualRun?: () => boolean;
  /**
   * What this run exercised (the formats it read, its output, ...): a run that exercised something
   * none of the kept cache's runs did writes the cache again, its bytecode and this run's together.
   */
  traits?: () => readonly string[];
}

/**
 * A code cache file: sealed (SHA-256), then the traits of the runs its bytecode is from (u32 LE
 * length, lines of ASCII, zeros to a multiple of 8 bytes so that V8's data stays aligned), then
 * V8's data.
 */
function encodeCodeCache(traits: readonly string[], data: Uint8Array): Buffer {
  const text = Buffer.from(traits.join('\n'), 'latin1');
  const head = Buffer.alloc(alignedTo8(4 + text.length));
  head.writeUInt32LE(text.length, 0);
  text.copy(head, 4);
  return sealed(Buffer.concat([head, data]));
}

function decodeCodeCache(bytes: Buffer | undefined): { traits: string[]; data: Buffer } | undefined {
  const body = unsealed(bytes);
  if (body === undefined || body.length < 4) return undefined;
  const length = body.readUInt32LE(0);
  const dataAt = alignedTo8(4 + length);
  if (dataAt >= body.length) return undefined;
  return { traits: body.toString('latin1', 4, 4 + length).split('\n').filter(Boolean), data: body.subarray(dataAt) };
}

function alignedTo8(n: number): number {
  return (n + 7) & ~7;
}

type BundleWrapper = (exports: object, require: NodeJS.Require, module: { exports: object }, filename: string, dirname: string) => void;

/** where the cache of this bundle, as built now, for this Node binary and these flags, is kept */
function codeCacheFile(file: string): string | undefined {
  const stat = statSync(file, { throwIfNoEntry: false });
  if (!stat) return undefined;
  const identity = [file, stat.size, stat.mtimeMs, process.version, process.arch, process.execArgv.join(' '), process.env.NODE_OPTIONS ?? ''].join('\0');
  return path.join(cacheDir(), `${PREFIX}${cacheKey(identity)}.bin`);
}
