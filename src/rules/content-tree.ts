import { statSync } from 'node:fs';
import path from 'node:path';

/**
 * ESCU's repository layout, as contentctl reads it: `detections/`, `macros/` and `lookups/` side by
 * side. A detection anywhere below such a tree uses the macros of the nearest ancestor holding a
 * `macros/` folder; the bundled content has none and relies on the built-in macros.
 */
export function contentRootOf(file: string): string | undefined {
  let dir = path.dirname(path.resolve(file));
  for (;;) {
    if (isDirectory(path.join(dir, 'macros'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The folders beside detections whose files change what a detection compiles to (for cache keys). */
export function companionDirs(target: string): string[] {
  const root = contentRootOf(isDirectory(target) ? path.join(target, 'x') : target);
  return root === undefined ? [] : [path.join(root, 'macros')];
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
