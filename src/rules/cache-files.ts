import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/**
 * The user's own cache directory (XDG_CACHE_HOME, else ~/.cache), never a shared one another user
 * could write to: compiled content (content-cache.ts), tables derived from it, and the scan's V8
 * code cache (src/cli/code-cache.ts) live here.
 */
export function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return path.join(base, 'tunnelwatch');
}

/** TUNNELWATCH_NO_CACHE=1: nothing is read from or written to the cache directory */
export function cachingDisabled(): boolean {
  return process.env.TUNNELWATCH_NO_CACHE === '1';
}

/** A cache file's name part for what identifies its contents: 40 hex digits of their SHA-256. */
export function cacheKey(identity: string): string {
  return createHash('sha256').update(identity).digest('hex').slice(0, 40);
}

export function readOrUndefined(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * Writes a cache file whole or not at all (a uniquely named partial file renamed over it, so a
 * concurrent reader sees the old bytes or the new), then removes the files of its kind (`prefix`)
 * beyond the `keep` newest. Best effort: a read-only home or a full disk only costs the next run
 * its start-up time.
 */
export function writeCached(file: string, data: string | Uint8Array, prefix: string, keep: number): void {
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, data, { mode: 0o600 });
    renameSync(partial, file);
    pruneOldest(path.dirname(file), prefix, keep);
  } catch {
    // caching is an optimisation only
  }
}

function pruneOldest(dir: string, prefix: string, keep: number): void {
  const entries = readdirSync(dir)
    .filter((name) => name.startsWith(prefix) && !name.endsWith('.tmp'))
    .map((name) => ({ file: path.join(dir, name), mtime: statSync(path.join(dir, name), { throwIfNoEntry: false })?.mtimeMs ?? 0 }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const old of entries.slice(keep)) rmSync(old.file, { force: true });
}

const DIGEST_BYTES = 32;

/** `body` behind its SHA-256, for unsealed() to check: a cache file damaged on disk or cut short is refused, never read as something else */
export function sealed(body: Uint8Array): Buffer {
  return Buffer.concat([createHash('sha256').update(body).digest(), body]);
}

/** the body of sealed() bytes if the digest matches, else undefined (a view, not a copy) */
export function unsealed(bytes: Uint8Array | undefined): Buffer | undefined {
  if (bytes === undefined || bytes.length < DIGEST_BYTES) return undefined;
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const body = buffer.subarray(DIGEST_BYTES);
  return createHash('sha256').update(body).digest().equals(buffer.subarray(0, DIGEST_BYTES)) ? body : undefined;
}
