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

/**
 * One loader per ESCU tree: `load` reads the tree's `folder` (macros/, lookups/) once; the result
 * serves every detection below that tree. Undefined for a file outside any tree.
 */
export function perContentRoot<T>(folder: string, load: (dir: string) => Promise<T>): (file: string) => Promise<T> | undefined {
  const loaded = new Map<string, Promise<T>>();
  return (file) => {
    const root = contentRootOf(file);
    if (root === undefined) return undefined;
    let value = loaded.get(root);
    if (!value) {
      value = load(path.join(root, folder));
      loaded.set(root, value);
    }
    return value;
  };
}

/** The folders beside detections whose files change what a detection compiles to (for cache keys). */
export function companionDirs(target: string): string[] {
  const root = contentRootOf(isDirectory(target) ? path.join(target, 'x') : target);
  return root === undefined ? [] : [path.join(root, 'macros'), path.join(root, 'lookups')];
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
