import { Command, Option } from 'commander';
import { sources, type SourceName } from '../sources/registry.js';
import { addBusOptions, busOptionsOf, type BusFlags } from './bus-options.js';
import { CHUNK_TARGET_BYTES } from '../bus/bus.js';
import { ExitCode, parseByteSize } from './shared.js';

interface PublishFlags extends BusFlags {
  nats: string;
  inputFormat?: SourceName;
  inFlight: number;
  chunkSize: number;
  quiet?: boolean;
}

export function registerPublishCommand(program: Command): void {
  const command = program
    .command('publish')
    .description('send log files to the bus as record-aligned chunks for `tunnelwatch worker`s; rerunning over the same files adds nothing')
    .argument('<inputs...>', 'files or directories (recursive); .gz is read transparently')
    .requiredOption('--nats <url>', 'NATS server, e.g. nats://127.0.0.1:4222')
    .addOption(new Option('-i, --input-format <format>', 'force the input format instead of detecting it from content').choices(Object.keys(sources)))
    .option('--in-flight <n>', 'chunks awaiting their PubAck at once', (v) => Number.parseInt(v, 10), 64)
    .option('--chunk-size <size>', 'raw bytes per message, about, at most what the server carries (deflated on the bus; EVTX in whole 64 KiB chunks)', parseByteSize, CHUNK_TARGET_BYTES)
    .option('-q, --quiet', 'no summary on stderr');
  addBusOptions(command).action(async (inputs: string[], flags: PublishFlags) => {
    process.exitCode = await runPublish(inputs, flags);
  });
}

async function runPublish(inputs: string[], flags: PublishFlags): Promise<number> {
  const started = performance.now();
  const [{ openBus }, { publishInputs }] = await Promise.all([import('../bus/registry.js'), import('../bus/publish.js')]);
  const bus = await openBus(flags.nats, busOptionsOf(flags));
  try {
    await bus.provision();
    const result = await publishInputs(bus.publisher(), inputs, { format: flags.inputFormat, inFlight: flags.inFlight, chunkBytes: flags.chunkSize });
    for (const e of result.inputErrors) process.stderr.write(`tunnelwatch: ${e.path}: ${e.message}\n`);
    // as `scan` leaves out a record over its size limit: reported with its place, the rest published
    for (const t of result.tooLarge) process.stderr.write(`tunnelwatch: ${t.source}:${t.line} (offset ${t.offset}): a record of ${t.bytes} bytes not published: ${t.message}\n`);
    if (!flags.quiet) {
      const seconds = (performance.now() - started) / 1000;
      process.stderr.write(`published ${result.messages} chunks (${result.bytes} bytes, ${result.wireBytes} on the bus, ${result.duplicates} already there${result.tooLarge.length > 0 ? `, ${result.tooLarge.length} record(s) too large for the bus left out` : ''}) from ${result.inputs} inputs in ${seconds.toFixed(2)} s\n`);
    }
    return result.inputErrors.length > 0 ? ExitCode.UsageOrIo : ExitCode.Ok;
  } finally {
    await bus.close();
  }
}
