import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** set by scripts/bundle.mjs in the bundle: a hash of every compiled module it bundles */
declare const TUNNELWATCH_CODE_ID: string | undefined;

/**
 * What identifies the running code, for caches of what the code derives from content (the
 * prefilter's tables): a table another build derived may differ from this build's, so it must not
 * be read. The bundle has its code's hash; tsc's modules (tests, development) have this file's
 * path, size and time, which every build rewrites.
 */
export function codeId(): string {
  if (typeof TUNNELWATCH_CODE_ID === 'string') return TUNNELWATCH_CODE_ID;
  const file = fileURLToPath(import.meta.url);
  const stat = statSync(file);
  return `${file}\0${stat.size}\0${stat.mtimeMs}`;
}
