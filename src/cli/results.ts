import { existsSync } from 'node:fs';
import { Command, Option } from 'commander';
import { batchAnalyzer, batchResults } from '../pipeline/batch.js';
import { isSetupProblem, preparePipeline } from '../pipeline/setup.js';
import { sinkNames, type SinkName } from '../sinks/registry.js';
import { defaultContentDir, defaultDetectionsDir, defaultTuningFile } from './paths.js';
import { addPipelineOptions, busPipelineConfig, type PipelineFlags } from './pipeline-options.js';
import { scanOutputOf, writeScanOutput } from './scan-output.js';
import { ExitCode, reportSetupProblem } from './shared.js';

interface ResultsFlags extends PipelineFlags {
  store: string;
  format?: SinkName;
  output?: string;
  tuning?: string;
  incidentsOnly?: boolean;
}

export function registerResultsCommand(program: Command): void {
  const command = program
    .command('results')
    .description("the findings and risk incidents the bus workers' partial states merge to, in the shapes `scan` writes")
    .requiredOption('--store <url>', 'the store the workers write to')
    .addOption(new Option('-f, --format <format>', 'output format (default: table on a terminal, jsonl otherwise)').choices(sinkNames))
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .option('--tuning <file>', `tuning file (default: ./${defaultTuningFile} when present)`)
    .option('--incidents-only', 'output risk incidents only, no findings');
  addPipelineOptions(command).action(async (flags: ResultsFlags) => {
    process.exitCode = await printResults(flags);
  });
}

async function printResults(flags: ResultsFlags): Promise<number> {
  if (flags.rules.length === 0) flags.rules = [defaultDetectionsDir];
  const tuningFile = flags.tuning ?? (existsSync(defaultTuningFile) ? defaultTuningFile : undefined);
  const setup = await preparePipeline(busPipelineConfig(flags, tuningFile), { contentRoot: defaultContentDir });
  if (isSetupProblem(setup)) return reportSetupProblem(setup);
  const { PartialStore } = await import('../store/partials.js');
  const store = await PartialStore.open(flags.store);
  try {
    // the same stages as scan after its threads' partial states merged: entities, where, tuning, risk
    const analyzer = batchAnalyzer(setup);
    for await (const partials of store.partials()) analyzer.merge(partials);
    const results = batchResults(setup, analyzer.findings(), analyzer.entities);
    const format = flags.format ?? (process.stdout.isTTY && !flags.output ? 'table' : 'jsonl');
    await writeScanOutput(scanOutputOf(setup, results, { incidentsOnly: flags.incidentsOnly }), format, flags.output);
    return ExitCode.Ok;
  } finally {
    await store.close();
  }
}
