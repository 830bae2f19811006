import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Content } from './content.js';
import { companionDirs } from './content-tree.js';
import { listFiles, listYamlFiles } from './yaml-files.js';
import { decodeEntry, encodeEntry, type EntryBytes } from './content-entry.js';
import { codeId } from './code-id.js';
import { cacheDir, cacheKey, cachingDisabled, readOrUndefined, writeCached } from './cache-files.js';

/**
 * bumped whenever the compiled form (Detection, SearchPlan, OutputSettings, BoundCorrelation) changes shape
 * or the file's encoding does (8: all ASCII, see ascii-json.ts; 9: searches out of line, 10: details too, 11: values
 * most detections share kept once, see content-entry.ts)
 */
const FORMAT = 11;
/**
 * Bumped whenever loading accepts, refuses or compiles the same files differently (the YAML schemas,
 * macro expansion, the SPL and Sigma front ends): an entry compiled by an older loader must not
 * outlive it, or a rule the new schema refuses would keep loading from the cache until its file changed.
 * 2: strict schemas (a misspelled key is an error), validated `tags.tools`.
 * 3: eval, rex, lookup, stats and the other commands after tstats (issue 18).
 * 4: correlations carry their own filter macro (issue 19.3).
 * 5: `host` and `nodename` in tstats, match() with a pattern built from columns, eval(...) inside
 *    aggregates, relative_time(), bin/bucket (issue 18).
 * 6: subsearches over a lookup; Security 4657 and CrowdStrike registry and file data sources (issue 18).
 * 7: Sigma correlation rules and multi-document Sigma files (issue 17).
 * 8: `join` with a tstats subsearch: the `join` row stage carries the subsearch's plan (issue 18);
 *    correlation steps may be optional (issue 19).
 * 9: a CIDR value in a search term (`dest IN (10.0.0.0/8, ...)`) is a `cidr` test, not a pattern.
 */
export const LOADER_VERSION = 9;
/** entries kept: one per rule set in use, so a few dozen is plenty */
const KEEP = 32;

/**
 * Compiled content keyed by the loader's version and a hash of every source file's path and bytes: parsing and compiling
 * YAML costs more than most scans of a small log, and the same rules load on every run. A file
 * that changed, appeared or vanished changes the key, so a stale entry is never read. Entries
 * live in the user's own cache directory, never in a shared one another user could write to.
 * `T` may add plain-data fields to Content (the scan adds its tactic table).
 */
export async function loadContentCached<T extends Content>(
  dirs: string[],
  load: () => Promise<T>,
  /** the loader the entry must come from (tests stand in older or newer ones) */
  loaderVersion: number = LOADER_VERSION,
): Promise<T> {
  return (await loadContentEntry(dirs, load, loaderVersion)).content;
}

/** A file kept beside a content entry, for tables derived from that content (src/engine/prefilter-tables.ts). */
export interface DerivedFile {
  read(): Buffer | undefined;
  /** best effort, like the entry itself */
  write(bytes: Uint8Array): void;
}

export interface ContentEntry<T> {
  content: T;
  /**
   * Where tables derived from this content are kept: one file per name, content and running code
   * (codeId: what the code derives may change with any build). Undefined when nothing is cached
   * (TUNNELWATCH_NO_CACHE=1, content with errors).
   */
  derived?: (name: string) => DerivedFile;
}

let compiledFromFiles = false;

/**
 * Whether this process compiled content from its files (no cached entry could serve it): such a
 * run runs code a usual run does not (YAML, schemas, the rule compilers), so src/cli/code-cache.ts
 * keeps no bytecode from it.
 */
export function contentCompiledThisRun(): boolean {
  return compiledFromFiles;
}

/** loadContentCached, and where tables derived from the content are kept */
export async function loadContentEntry<T extends Content>(dirs: string[], load: () => Promise<T>, loaderVersion: number = LOADER_VERSION): Promise<ContentEntry<T>> {
  if (cachingDisabled()) return { content: await load() };
  const key = contentKey(dirs, loaderVersion);
  const dir = cacheDir();
  const derived = (name: string): DerivedFile => {
    const file = path.join(dir, `derived-${cacheKey(`${key}\0${codeId()}\0${name}`)}.bin`);
    return { read: () => readOrUndefined(file), write: (bytes) => writeCached(file, bytes, 'derived-', KEEP) };
  };
  const entry = path.join(dir, `content-${key}.json`);
  const cached = readCached<T>(entry);
  if (cached) return { content: cached, derived };
  compiledFromFiles = true;
  const content = await load();
  if (content.errors.length > 0) return { content };
  writeCached(entry, encodeEntry(content), 'content-', KEEP);
  return { content, derived };
}

/**
 * The hash of every source file's path and bytes, remembered under the files' identities (see
 * fileIdentities): reading and hashing 1,478 SigmaHQ files took ~60 ms of every start-up, a stat
 * of each takes a fraction of it. Read synchronously: each async call would wait a thread-pool round trip.
 */
function contentKey(dirs: string[], loaderVersion: number): string {
  const version = `tunnelwatch-content-v${FORMAT}-loader${loaderVersion}\0`;
  // a lookup's CSV changes what its detections output, so it is part of the key too
  // listed from absolute folders, the files' paths are absolute already (each path.resolve cost ~3 µs)
  const files = dirs.map((dir) => path.resolve(dir)).flatMap((dir) => [...listYamlFiles(dir), ...companionDirs(dir).flatMap((d) => listFiles(d, /\.(ya?ml|csv)$/i))]);
  const identities = fileIdentities(version, files);
  const memo = identities && path.join(cacheDir(), `key-${identities}`);
  const remembered = memo && readOrUndefined(memo)?.toString('latin1');
  if (remembered && /^[0-9a-f]{40}$/.test(remembered)) return remembered;
  const hash = createHash('sha256').update(version);
  for (const file of files) {
    const bytes = readOrUndefined(file);
    hash.update(`${file}\0${bytes ? bytes.length : -1}\0`);
    if (bytes) hash.update(bytes);
  }
  const key = hash.digest('hex').slice(0, 40);
  if (memo) writeCached(memo, key, 'key-', KEEP);
  return key;
}

/** a file changed this recently may change again within its file system's timestamp granularity */
const SETTLED_MS = 2000;

/**
 * A hash of each file's path, device, inode, size, modification and change times (nanoseconds):
 * a file whose bytes change gets a new change time, which no tool can set back (copies that keep
 * the modification time are new inodes with new change times). A path that is not there (the
 * correlations folder beside a Sigma rules folder, listed as itself) counts as missing: when it
 * appears, it has an identity, and the hash changes. Undefined, so nothing is remembered, when a
 * file changed too recently to be told from its next change.
 */
function fileIdentities(version: string, files: string[]): string | undefined {
  const settled = Date.now() - SETTLED_MS;
  // hashed at once: an update per file cost more than the hashing
  const identities = [version];
  for (const file of files) {
    // times as fractional milliseconds (sub-microsecond here), not BigInt nanoseconds: a BigInt stat
    // makes a dozen BigInts per file, a tenth of this function's time over SigmaHQ's 1,478 files
    const stat = statSync(file, { throwIfNoEntry: false });
    if (!stat) {
      identities.push(`${file}\0missing\0`);
      continue;
    }
    if (stat.mtimeMs > settled || stat.ctimeMs > settled) return undefined;
    identities.push(`${file}\0${stat.dev}\0${stat.ino}\0${stat.size}\0${stat.mtimeMs}\0${stat.ctimeMs}\0`);
  }
  return cacheKey(identities.join(''));
}

function readCached<T extends Content>(file: string): T | undefined {
  let entry: EntryFile | undefined;
  try {
    entry = openEntryFile(file);
    const content = decodeEntry<T>(entry.bytes, file);
    if (content === undefined) entry.close();
    return content;
  } catch {
    entry?.close();
    return undefined;
  }
}

interface EntryFile {
  bytes: EntryBytes;
  /** at once, for an entry not decoded (a decoded one's closes when nothing can read its parts) */
  close(): void;
}

/** each open entry file's descriptor, closed once nothing can read its parts any more (an error there would be uncaught) */
const entryDescriptors = new FinalizationRegistry<number>((fd) => {
  try {
    closeSync(fd);
  } catch {
    // nothing reads through it any more
  }
});

/**
 * A cache entry's bytes read from the file as they are asked for (content-entry.ts reads its head
 * at once and each part on first use). The descriptor stays open while a part may still be read:
 * entries are replaced by rename and pruned by unlink, so it reads the file as it was when opened.
 */
function openEntryFile(file: string): EntryFile {
  const fd = openSync(file, 'r');
  const length = fstatSync(fd).size;
  const bytes: EntryBytes = {
    length,
    slice(from, to) {
      const out = Buffer.allocUnsafe(to - from);
      for (let done = 0; done < out.length; ) {
        const read = readSync(fd, out, done, out.length - done, from + done);
        if (read === 0) throw new Error(`the compiled-content cache entry ${file} ended at ${from + done} of ${length} bytes: delete it, or run with TUNNELWATCH_NO_CACHE=1`);
        done += read;
      }
      return out;
    },
  };
  entryDescriptors.register(bytes, fd, bytes);
  return {
    bytes,
    close() {
      if (entryDescriptors.unregister(bytes)) closeSync(fd);
    },
  };
}
