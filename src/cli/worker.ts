import { Command } from 'commander';
import { isSetupProblem, preparePipeline } from '../pipeline/setup.js';
import { addBusOptions, busOptionsOf, type BusFlags } from './bus-options.js';
import { defaultContentDir, defaultDetectionsDir } from './paths.js';
import { addPipelineOptions, busPipelineConfig, type PipelineFlags } from './pipeline-options.js';
import { ExitCode, reportSetupProblem } from './shared.js';

interface WorkerFlags extends BusFlags, PipelineFlags {
  nats: string;
  store: string;
  batch: number;
  metrics?: string;
  name?: string;
}

export function registerWorkerCommand(program: Command): void {
  const command = program
    .command('worker')
    .description('run detections over the chunks on the bus; partial states go to the shared store (`tunnelwatch results` merges them)')
    .requiredOption('--nats <url>', 'NATS server, e.g. nats://127.0.0.1:4222')
    .requiredOption('--store <url>', 'the store every worker shares: postgres://... (a SQLite file for one machine)')
    .option('--batch <n>', 'messages fetched and committed together', (v) => Number.parseInt(v, 10), 32)
    .option('--metrics <host:port>', 'serve Prometheus /metrics here (loopback unless told otherwise)')
    .option('--name <name>', 'this worker in the store (default: host:pid)');
  addBusOptions(addPipelineOptions(command)).action(async (flags: WorkerFlags) => {
    process.exitCode = await runWorker(flags);
  });
}

async function runWorker(flags: WorkerFlags): Promise<number> {
  if (flags.rules.length === 0) flags.rules = [defaultDetectionsDir];
  const setup = await preparePipeline(busPipelineConfig(flags), { contentRoot: defaultContentDir });
  if (isSetupProblem(setup)) return reportSetupProblem(setup);
  const [{ openBus }, { PartialStore }, { BusWorker }, { serveMetrics }] = await Promise.all([
    import('../bus/registry.js'),
    import('../store/partials.js'),
    import('../bus/worker.js'),
    import('../bus/metrics-server.js'),
  ]);
  const options = busOptionsOf(flags);
  // the store first: a store that fails to open must not leave a NATS connection holding the process open
  const store = await PartialStore.open(flags.store);
  const bus = await openBus(flags.nats, options).catch(async (error: unknown) => {
    await store.close();
    throw error;
  });
  try {
    await bus.provision();
    const consumer = await bus.consumer();
    const worker = new BusWorker(setup, consumer, store, { batch: flags.batch, maxDeliver: options.maxDeliver, ackWaitMs: options.ackWaitMs, name: flags.name });
    const metrics = flags.metrics ? await serveMetrics(flags.metrics, async () => worker.metrics(await consumer.backlog().catch(() => undefined))) : undefined;
    if (metrics) process.stderr.write(`tunnelwatch worker: metrics on http://${metrics.address}/metrics\n`);
    const stop = () => worker.stop();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    process.stderr.write(`tunnelwatch worker: consuming ${options.stream}/${options.consumer}\n`);
    await worker.run();
    await metrics?.close();
    return ExitCode.Ok;
  } finally {
    await bus.close();
    await store.close();
  }
}
