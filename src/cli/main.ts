#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
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

type Register = (program: Command) => void;
/**
 * Each command's module, in the order `--help` lists them. A run loads only the module of the
 * command it names (a scan none of serve's, watch's or dump's code); help, and a name that is no
 * command (commander then suggests the closest), load every one.
 */
const commands: Record<string, () => Promise<Register>> = {
  scan: async () => (await import('./scan.js')).registerScanCommand,
  watch: async () => (await import('./watch.js')).registerWatchCommand,
  dump: async () => (await import('./dump.js')).registerDumpCommand,
  test: async () => (await import('./test.js')).registerTestCommand,
  validate: async () => (await import('./validate.js')).registerValidateCommand,
  risk: async () => (await import('./risk.js')).registerRiskCommand,
  serve: async () => (await import('./serve.js')).registerServeCommand,
  findings: async () => (await import('./findings.js')).registerFindingsCommand,
  publish: async () => (await import('./publish.js')).registerPublishCommand,
  worker: async () => (await import('./worker.js')).registerWorkerCommand,
  results: async () => (await import('./results.js')).registerResultsCommand,
};
const named = process.argv[2];
const wanted = named !== undefined && Object.hasOwn(commands, named) ? [named] : Object.keys(commands);
for (const register of await Promise.all(wanted.map((name) => commands[name]()))) register(program);

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
