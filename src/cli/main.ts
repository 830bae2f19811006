#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { registerRiskCommand } from './risk.js';
import { registerDumpCommand } from './dump.js';
import { registerScanCommand } from './scan.js';
import { registerFindingsCommand } from './findings.js';
import { registerPublishCommand } from './publish.js';
import { registerResultsCommand } from './results.js';
import { registerServeCommand } from './serve.js';
import { registerTestCommand } from './test.js';
import { registerValidateCommand } from './validate.js';
import { registerWatchCommand } from './watch.js';
import { registerWorkerCommand } from './worker.js';
import { ExitCode } from './shared.js';

const program = new Command()
  .name('tunnelwatch')
  .description('Find reverse-proxy and tunnelling tools (ngrok, cloudflared, dev tunnels, ...) in raw endpoint logs')
  .version('0.1.0')
  .exitOverride();

// `tunnelwatch scan ... | head`: a reader that stops early is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? ExitCode.Ok);
  throw error;
});

registerScanCommand(program);
registerWatchCommand(program);
registerDumpCommand(program);
registerTestCommand(program);
registerValidateCommand(program);
registerRiskCommand(program);
registerServeCommand(program);
registerFindingsCommand(program);
registerPublishCommand(program);
registerWorkerCommand(program);
registerResultsCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    const benign = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help';
    process.exitCode = benign ? ExitCode.Ok : ExitCode.UsageOrIo;
  } else {
    process.stderr.write(`tunnelwatch: ${(error as Error).stack ?? error}\n`);
    process.exitCode = ExitCode.UsageOrIo;
  }
}
