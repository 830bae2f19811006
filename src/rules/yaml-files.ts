import { readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * Every .yml/.yaml file under `target` (or `target` itself when it is not a directory), sorted;
 * hidden entries skipped. Synchronous: the rule tree is a few dozen local entries, listed at every
 * start-up, and each async call would wait a thread-pool round trip.
 */
export function listYamlFiles(target: string): string[] {
  return listFiles(target, /\.ya?ml$/i);
}

/** As listYamlFiles, for files whose name matches `accept` (an ESCU lookups/ folder: YAML and CSV). */
export function listFiles(target: string, accept: RegExp): string[] {
  let entries;
  try {
    entries = readdirSync(target, { withFileTypes: true });
  } catch {
    return [target];
  }
  return entries
    .filter((e) => !e.name.startsWith('.'))
    .flatMap((e) => {
      const full = path.join(target, e.name);
      if (e.isDirectory()) return listFiles(full, accept);
      return accept.test(e.name) ? [full] : [];
    })
    .sort();
}
