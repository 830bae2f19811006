import { runCli } from './program.js';
import { registerScanCommand } from './scan.js';
import { contentCompiledThisRun } from '../rules/content-cache.js';
import type { CodeCacheHints } from './code-cache.js';
import { runTraits } from './run-traits.js';

/**
 * `tunnelwatch scan ...` as main.ts runs it (which then loads the scan command alone), with the
 * scan command imported statically: the bundle gives it a file of its own, which bin.ts runs
 */
export function main(): Promise<void> {
  return runCli({ scan: async () => registerScanCommand });
}

/** code-cache.ts keeps the bytecode of a usual scan, not of one that compiled its rules from YAML */
export const usualRun: CodeCacheHints['usualRun'] = () => !contentCompiledThisRun();

/** code-cache.ts adds the bytecode of a scan that exercised what the kept one's runs did not */
export const traits: CodeCacheHints['traits'] = runTraits;
