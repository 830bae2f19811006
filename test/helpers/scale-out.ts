import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defaultBusOptions, type Bus, type BusOptions } from '../../src/bus/bus.js';
import { openBus } from '../../src/bus/registry.js';
import { PartialStore } from '../../src/store/partials.js';
import { repoRoot } from './paths.js';
import { dropSchema, postgresBaseUrl, postgresUnavailable, uniqueSchema } from './stores.js';

export const natsServerPath = '/usr/sbin/nats-server';
const cliPath = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');

/** Why the scale-out tests cannot run here, or false. */
export async function scaleOutUnavailable(): Promise<string | false> {
  if (!existsSync(natsServerPath)) return `${natsServerPath} is absent (apt-get install nats-server)`;
  return postgresUnavailable();
}

/** A real nats-server with JetStream, on a random loopback port, with its own store directory. */
export class NatsServer {
  private child?: ChildProcess;
  port = 0;

  private constructor(readonly dir: string) {}

  static async start(): Promise<NatsServer> {
    const server = new NatsServer(mkdtempSync(path.join(tmpdir(), 'tw-nats-')));
    await server.launch();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** (re)starts it: on a random port the first time, on the same port and store after that */
  async launch(): Promise<void> {
    for (const f of readdirSync(this.dir)) if (f.endsWith('.ports')) rmSync(path.join(this.dir, f));
    const args = ['-a', '127.0.0.1', '-p', this.port ? String(this.port) : '-1', '--ports_file_dir', this.dir, '-js', '-sd', this.dir];
    this.child = spawn(natsServerPath, args, { stdio: 'ignore' });
    const until = Date.now() + 10_000;
    for (;;) {
      const ports = readdirSync(this.dir).find((f) => f.endsWith('.ports'));
      if (ports) {
        const text = readFileSync(path.join(this.dir, ports), 'utf8');
        if (text.trim()) {
          this.port = Number(/:(\d+)"/.exec(text)![1]);
          return;
        }
      }
      if (Date.now() > until) throw new Error('nats-server did not write its ports file in 10 s');
      await sleep(20);
    }
  }

  /** SIGKILL, as a crash */
  async kill9(): Promise<void> {
    if (this.child) await killed(this.child);
  }

  async stop(): Promise<void> {
    await this.kill9();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Publishers, workers and the merged results around one nats-server and one PostgreSQL schema. */
export class ScaleOut {
  readonly workers: ChildProcess[] = [];
  private readonly stderr = new Map<ChildProcess, () => string>();
  private constructor(
    readonly nats: NatsServer,
    readonly schema: string,
    readonly bus: Bus,
    readonly options: BusOptions,
  ) {}

  static async start(options: Partial<BusOptions> = {}): Promise<ScaleOut> {
    const nats = await NatsServer.start();
    const all = { ...defaultBusOptions, ...options };
    const bus = await openBus(nats.url, all);
    await bus.provision();
    return new ScaleOut(nats, uniqueSchema(), bus, all);
  }

  get store(): string {
    return `${postgresBaseUrl}?schema=${this.schema}`;
  }

  private busArgs(): string[] {
    const o = this.options;
    return ['--nats', this.nats.url, '--max-deliver', String(o.maxDeliver), '--ack-wait', `${o.ackWaitMs / 1000}s`];
  }

  /** `tunnelwatch publish` as a child process */
  spawnPublish(inputs: string[], args: string[] = []): ChildProcess {
    return spawn(process.execPath, [cliPath, 'publish', '-q', ...this.busArgs(), ...args, ...inputs], { stdio: ['ignore', 'ignore', 'pipe'] });
  }

  async publish(inputs: string[], args: string[] = []): Promise<string> {
    const child = spawn(process.execPath, [cliPath, 'publish', ...this.busArgs(), ...args, ...inputs], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`publish exited with ${code}: ${err}`);
    return err;
  }

  /** a worker process; `cpu`: pinned to that core (taskset), as a one-core worker of a sizing plan */
  startWorker(args: string[] = [], { cpu }: { cpu?: number } = {}): ChildProcess {
    const command = [process.execPath, cliPath, 'worker', ...this.busArgs(), '--store', this.store, '--batch', '4', ...args];
    const pinned = cpu === undefined ? command : ['taskset', '-c', String(cpu), ...command];
    const child = spawn(pinned[0], pinned.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    this.stderr.set(child, () => err);
    this.workers.push(child);
    return child;
  }

  /** until a worker has loaded its rules and consumes */
  async consuming(worker: ChildProcess): Promise<void> {
    const stderr = () => this.stderr.get(worker)?.() ?? '';
    await until(
      async () => {
        if (worker.exitCode !== null) throw new Error(`the worker exited with ${worker.exitCode} before consuming: ${stderr()}`);
        return stderr().includes('consuming');
      },
      60_000,
      'the worker to start consuming',
    );
  }

  /** the /metrics URL a worker started with `--metrics HOST:0` printed */
  async metricsUrl(worker: ChildProcess): Promise<string> {
    let url: string | undefined;
    await until(async () => (url = /metrics on (http:\/\/\S+)/.exec(this.stderr.get(worker)?.() ?? '')?.[1]) !== undefined, 30_000, 'the worker to print its metrics address');
    return url!;
  }

  /** messages on the stream */
  async streamMessages(): Promise<number> {
    const { jetstreamManager } = await import('@nats-io/jetstream');
    const { connect } = await import('@nats-io/transport-node');
    const nc = await connect({ servers: this.nats.url });
    try {
      return (await (await jetstreamManager(nc)).streams.info(this.options.stream)).state.messages;
    } finally {
      await nc.close();
    }
  }

  async committed(): Promise<{ messages: number; events: number; partials: number }> {
    const store = await PartialStore.open(this.store);
    try {
      return await store.stats();
    } finally {
      await store.close();
    }
  }

  /** until every message on the stream is acknowledged (so committed) */
  async drained(ms = 120_000): Promise<void> {
    let consumer: Awaited<ReturnType<Bus['consumer']>> | undefined;
    const until = Date.now() + ms;
    for (;;) {
      // right after a server restart JetStream may not answer yet
      consumer ??= await this.bus.consumer().catch(() => undefined);
      const backlog = await consumer?.backlog().catch(() => undefined);
      if (backlog && backlog.pending === 0 && backlog.inFlight === 0) return;
      if (Date.now() > until) throw new Error(`not drained after ${ms} ms: ${JSON.stringify(backlog)}`);
      await sleep(100);
    }
  }

  /** `tunnelwatch results -f json`: the merge of every committed partial state */
  results(): unknown {
    return cliJson(['results', '--store', this.store, '-f', 'json']);
  }

  async close(): Promise<void> {
    for (const w of this.workers) if (w.exitCode === null) w.kill('SIGKILL');
    await this.bus.close().catch(() => undefined);
    await this.nats.stop();
    await dropSchema(this.schema);
  }
}

/** What `scan -f json` prints over `inputs`: the reference the bus must equal. */
export function scanJson(inputs: string[]): unknown {
  return cliJson(['scan', '-q', '-f', 'json', ...inputs]);
}

function cliJson(args: string[]): unknown {
  const r = spawnSync(process.execPath, [cliPath, ...args], { cwd: repoRoot, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`tunnelwatch ${args.join(' ')} exited with ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** SIGKILL, and its exit; at once for a child already gone (by a signal too: its exitCode stays null, and a second 'exit' never comes) */
export async function killed(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until true; fails after `ms`. */
export async function until(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * chunks of 16 KiB, not the default 1 MiB: the scenarios' inputs make hundreds of them, so a kill
 * that waits for 10 commits lands mid-stream. With 256 KiB (59 chunks) two workers on a quiet
 * machine committed them all before the check saw the tenth, and the kill landed after the end.
 */
const SCENARIO_CHUNKS = ['--chunk-size', '16KiB'];

/**
 * What can go wrong mid-stream, each ending with every message acknowledged: the tests run each
 * once, the bench five times. `inputs` must make hundreds of chunks of 16 KiB (so a kill lands mid-stream).
 */
export const failureScenarios = {
  async 'two workers, nothing killed'(s: ScaleOut, inputs: string[]): Promise<void> {
    await s.publish(inputs, SCENARIO_CHUNKS);
    s.startWorker();
    s.startWorker();
  },
  async 'a worker killed with SIGKILL mid-stream'(s: ScaleOut, inputs: string[]): Promise<void> {
    await s.publish(inputs, SCENARIO_CHUNKS);
    const first = s.startWorker();
    await until(async () => (await s.committed()).messages >= 10, 60_000, 'the first worker to commit some messages');
    await killed(first);
    assert.ok((await s.committed()).messages < (await s.streamMessages()), 'the worker died with messages left');
    s.startWorker();
  },
  async 'nats-server killed with SIGKILL mid-stream and restarted'(s: ScaleOut, inputs: string[]): Promise<void> {
    await s.publish(inputs, SCENARIO_CHUNKS);
    s.startWorker();
    s.startWorker();
    await until(async () => (await s.committed()).messages >= 10, 60_000, 'the workers to commit some messages');
    const total = await s.streamMessages();
    await s.nats.kill9();
    assert.ok((await s.committed()).messages < total, 'the server died with messages left');
    await s.nats.launch();
  },
  async 'a publisher killed with SIGKILL mid-stream, then rerun over the same files'(s: ScaleOut, inputs: string[]): Promise<void> {
    // the rerun cuts the same chunks, so the same ids
    const publisher = s.spawnPublish(inputs, SCENARIO_CHUNKS);
    await until(async () => (await s.streamMessages()) >= 20, 60_000, 'the publisher to store some chunks');
    await killed(publisher);
    const before = await s.streamMessages();
    const summary = await s.publish(inputs, SCENARIO_CHUNKS);
    const total = Number(/published (\d+) chunks/.exec(summary)![1]);
    const already = Number(/(\d+) already there/.exec(summary)![1]);
    assert.ok(before < total, 'the publisher died with chunks left');
    assert.ok(already >= before, `the rerun found the ${before} chunks the killed run stored (${summary.trim()})`);
    assert.equal(await s.streamMessages(), total, 'the stream holds each chunk once');
    s.startWorker();
    s.startWorker();
  },
} satisfies Record<string, (s: ScaleOut, inputs: string[]) => Promise<void>>;

/** Runs a scenario on a fresh server and schema; fails unless the merged results equal `expected` (scan's). */
export async function runScenario(name: keyof typeof failureScenarios, inputs: string[], expected: unknown): Promise<void> {
  const s = await ScaleOut.start({ ackWaitMs: 5000 });
  try {
    await failureScenarios[name](s, inputs);
    await s.drained();
    assert.deepEqual(s.results(), expected);
  } finally {
    await s.close();
  }
}
