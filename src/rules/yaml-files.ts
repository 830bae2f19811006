import { readdir } from 'node:fs/promises';
import path from 'node:path';

/** Every .yml/.yaml file under `target` (or `target` itself when it is a file), sorted; hidden entries skipped. */
export async function listYamlFiles(target: string): Promise<string[]> {
  const entries = await readdir(target, { withFileTypes: true }).catch(() => undefined);
  if (!entries) return [target];
  const nested = await Promise.all(
    entries
      .filter((e) => !e.name.startsWith('.'))
      .map((e) => {
        const full = path.join(target, e.name);
        if (e.isDirectory()) return listYamlFiles(full);
        return Promise.resolve(/\.ya?ml$/i.test(e.name) ? [full] : []);
      }),
  );
  return nested.flat().sort();
}
