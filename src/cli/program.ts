import { Command, CommanderError } from 'commander';
import { ExitCode } from './shared.js';

export type Register = (program: Command) => void;

/**
 * Parses the command line and runs the command it names. `commands`: each command's module, in
 * the order `--help` lists them. A run loads only the module of the command it names (a scan none
 * of serve's, watch's or dump's code); help, and a name that is no command (commander then
 * suggests the closest), load every one.
 */
export async function runCli(commands: Record<string, () => Promise<Register>>): Promise<void> {
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
}
