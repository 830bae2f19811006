import { Command, Option } from 'commander';
import type { FindingRecord } from '../engine/render.js';
import { sinkNames, sinks, type SinkName } from '../sinks/registry.js';
import { ExitCode } from './shared.js';

interface FindingsFlags {
  store: string;
  format?: SinkName;
}

const PAGE = 1000;

export function registerFindingsCommand(program: Command): void {
  program
    .command('findings')
    .description('export the findings a `serve` store holds, in the shapes `scan` writes')
    .requiredOption('--store <location>', 'a SQLite file, a serve data directory, or a postgres:// URL')
    .addOption(new Option('-f, --format <format>', 'output format (default: table on a terminal, jsonl otherwise)').choices(sinkNames))
    .action(async (flags: FindingsFlags) => {
      process.exitCode = await exportFindings(flags);
    });
}

async function exportFindings(flags: FindingsFlags): Promise<number> {
  const { openStore } = await import('../store/registry.js');
  let store;
  try {
    store = await openStore(flags.store);
  } catch (error) {
    process.stderr.write(`tunnelwatch: cannot open store ${flags.store}: ${(error as Error).message}\n`);
    return ExitCode.UsageOrIo;
  }
  try {
    const records: FindingRecord[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const page = await store.listFindings({ sort: 'search_name', descending: false, limit: PAGE, offset });
      records.push(...page.items.map((i) => i.record));
      if (page.items.length < PAGE) break;
    }
    const format = flags.format ?? (process.stdout.isTTY ? 'table' : 'jsonl');
    const rows = format === 'table' ? records : (records.map((r) => ({ kind: 'finding', ...r })) as unknown as FindingRecord[]);
    sinks[format].write(rows, process.stdout, { isTTY: process.stdout.isTTY === true, columns: process.stdout.columns });
    return ExitCode.Ok;
  } finally {
    await store.close();
  }
}
