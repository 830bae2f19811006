import { InvalidArgumentError } from 'commander';
import type { ContentError } from '../rules/search-plan.js';
import type { SetupProblem } from '../pipeline/setup.js';

export const ExitCode = {
  Ok: 0,
  /** --fail-on-findings and there were findings, or a `test` failed */
  Findings: 1,
  /** bad usage, unreadable input, invalid content */
  UsageOrIo: 2,
} as const;

const units: Record<string, number> = { '': 1, b: 1, k: 1e3, kb: 1e3, kib: 1024, m: 1e6, mb: 1e6, mib: 1024 ** 2, g: 1e9, gb: 1e9, gib: 1024 ** 3 };

/** `1048576`, `1MiB`, `512k`: a byte count for size options. */
/**
 * `-t/--threads` means the same in every command: the threads doing the work, this one included;
 * 1 = no worker threads.
 */
export function parseThreads(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < 1) throw new InvalidArgumentError(`'${text}' is not a thread count: 1 (this thread alone) or more`);
  return n;
}

export function parseByteSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const factor = match ? units[match[2].toLowerCase()] : undefined;
  if (!match || factor === undefined) throw new InvalidArgumentError(`'${text}' is not a size like 1048576, 512KiB or 1MiB`);
  return Math.floor(Number(match[1]) * factor);
}

export function reportContentErrors(errors: ContentError[]): void {
  for (const e of errors) process.stderr.write(`${e.file}:${e.line}:${e.col}: ${e.message}\n`);
  process.stderr.write(`tunnelwatch: ${errors.length} content error(s); nothing was scanned\n`);
}

/** commander option parser for repeatable options */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Prints why a pipeline could not start; the exit code for it. */
export function reportSetupProblem(problem: SetupProblem): number {
  if (problem.kind === 'content') reportContentErrors(problem.errors);
  else for (const p of problem.problems) process.stderr.write(`tunnelwatch: ${p}\n`);
  return ExitCode.UsageOrIo;
}
