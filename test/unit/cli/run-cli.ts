import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { cliPath, repoRoot } from '../../helpers/paths.js';

export { cliPath, contentDir, examplesDir, repoRoot } from '../../helpers/paths.js';
/** what `npx tunnelwatch` runs: the same CLI bundled by scripts/bundle.mjs */
export const bundlePath = path.join(repoRoot, 'dist', 'src', 'cli', 'tunnelwatch.cjs');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the compiled CLI as a user would (a child process), from `cwd` (default: the repo root). */
export function runCli(args: string[], cwd = repoRoot): CliResult {
  const r = spawnSync(process.execPath, [cliPath, ...args], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function jsonLines(text: string): Array<Record<string, unknown>> {
  return text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, unknown>);
}
