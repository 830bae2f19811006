import { hostname } from 'node:os';
import { batchAnalyzer } from '../pipeline/batch.js';
import { scanInput, type ScanOptions } from '../pipeline/scan.js';
import type { PipelineSetup } from '../pipeline/setup.js';
import { bufferInput } from '../pipeline/stream.js';
import { RunReport } from '../diagnostics/run-report.js';
import type { Metric } from '../diagnostics/prometheus.js';
import { isSourceName } from '../sources/registry.js';
import type { SourceInput } from '../sources/source.js';
import type { MessagePartials, PartialStore } from '../store/partials.js';
import type { BusConsumer, Delivery } from './bus.js';

export interface WorkerOptions {
  /** messages fetched, processed and committed together (one store transaction, then their acks) */
  batch: number;
  /** deliveries after which a failing message goes to the dead-letter subject */
  maxDeliver: number;
  /** the bus's ack wait: long work tells the bus it is still working well within it */
  ackWaitMs: number;
  /** this worker's name in the store */
  name?: string;
}

/** What a worker did since it started: its `/metrics`. */
export interface WorkerStats {
  messages: number;
  events: number;
  /** partial finding states written to the store */
  findingsOut: number;
  /** deliveries of messages already committed (a worker died before acking): acknowledged, nothing added */
  redeliveries: number;
  failures: number;
  /** store transactions that failed (each retried, then the batch nak'ed) */
  storeErrors: number;
  /** publish-to-commit time of the last batch, ms */
  lastLagMs: number;
}

const FETCH_WAIT_MS = 1000;
const MAX_NAK_DELAY_MS = 30_000;
/** in-process retries of a failed store transaction (0.5 + 1 + 2 + 4 + 8 s) before the batch is nak'ed */
const STORE_RETRIES = 5;

/** a batch's detection results, waiting for their commit; `keepAlive` tells the bus they are still worked on */
interface DetectedBatch {
  results: Array<{ delivery: Delivery; partials: MessagePartials }>;
  keepAlive: ReturnType<typeof setInterval>;
}

/**
 * A worker on the bus: each message is read through the sources into one long-lived analyzer
 * (scan's options, so partial states merge to scan's findings), whose state for that message alone
 * is drained and written to the shared store keyed by (finding, message), in one transaction per
 * batch, and only then acknowledged. A redelivered message adds nothing; a message that fails is
 * redelivered with a growing delay, then dead-lettered with the reason.
 */
export class BusWorker {
  readonly stats: WorkerStats = { messages: 0, events: 0, findingsOut: 0, redeliveries: 0, failures: 0, storeErrors: 0, lastLagMs: 0 };
  private readonly analyzer;
  private readonly scanOptions: ScanOptions;
  private readonly name: string;
  private stopping = false;

  constructor(
    setup: PipelineSetup,
    private readonly consumer: BusConsumer,
    private readonly store: PartialStore,
    private readonly options: WorkerOptions,
  ) {
    this.analyzer = batchAnalyzer(setup);
    const { input } = setup.config;
    this.scanOptions = { maxRecordBytes: input.maxRecordBytes, prefilter: setup.prefilter, timeRange: input.timeRange, syslogClock: input.syslogClock };
    this.name = options.name ?? `${hostname()}:${process.pid}`;
  }

  /**
   * Fetches and processes until `stop()`. Three stages overlap: the next batch is fetched while
   * this one is detected, and the batch before is committed (the store's round trip, and its CPU
   * on another core) while this one is detected. At most one commit is in flight, and a batch is
   * acknowledged only after its own commit.
   */
  async run(): Promise<void> {
    let next = this.consumer.fetch(this.options.batch, FETCH_WAIT_MS);
    let committing: Promise<void> = Promise.resolve();
    while (!this.stopping) {
      const deliveries = await next;
      next = this.consumer.fetch(this.options.batch, FETCH_WAIT_MS);
      if (deliveries.length === 0) continue;
      const detected = await this.detectBatch(deliveries);
      await committing;
      committing = this.commitBatch(detected);
    }
    await committing;
    // what was fetched and not processed is redelivered after the ack wait
    await next;
  }

  stop(): void {
    this.stopping = true;
  }

  /** one batch, detected and committed (then acknowledged) */
  async process(deliveries: Delivery[]): Promise<void> {
    await this.commitBatch(await this.detectBatch(deliveries));
  }

  /**
   * Each delivery's partial state; a redelivered message already committed is acknowledged
   * without detection (only a message delivered before can be: the store is asked only then).
   * The deliveries are kept alive with working() until `commitBatch` has acknowledged them.
   */
  private async detectBatch(deliveries: Delivery[]): Promise<DetectedBatch> {
    const keepAlive = setInterval(() => deliveries.forEach((d) => d.working()), Math.max(1000, this.options.ackWaitMs / 3));
    const again = deliveries.filter((d) => d.deliveries > 1).map((d) => d.message.id);
    const done = again.length > 0 ? await this.store.committed(again).catch(() => new Set<string>()) : new Set<string>();
    const results: DetectedBatch['results'] = [];
    for (const delivery of deliveries) {
      if (done.has(delivery.message.id)) {
        this.stats.redeliveries++;
        delivery.ack();
        continue;
      }
      try {
        results.push({ delivery, partials: await this.detect(delivery) });
      } catch (error) {
        await this.failed(delivery, (error as Error).message);
      }
    }
    return { results, keepAlive };
  }

  private async commitBatch({ results, keepAlive }: DetectedBatch): Promise<void> {
    try {
      if (results.length === 0) return;
      if (!(await this.commit(results.map((r) => r.partials)))) {
        // the store stayed down: nothing was committed, so every message comes again later
        for (const { delivery } of results) delivery.nak(backoff(delivery.deliveries));
        return;
      }
      for (const { delivery, partials } of results) {
        delivery.ack();
        this.stats.messages++;
        this.stats.events += partials.events;
        if (delivery.deliveries > 1) this.stats.redeliveries++;
      }
      this.stats.lastLagMs = Date.now() - Math.min(...results.map((r) => r.partials.storedAt));
    } finally {
      clearInterval(keepAlive);
    }
  }

  /**
   * The batch's results in one transaction; a store error is retried here first (the messages are
   * kept alive with working()), so a short store outage spends none of their deliveries.
   */
  private async commit(partials: MessagePartials[]): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        this.stats.findingsOut += await this.store.commit(partials, this.name);
        return true;
      } catch {
        this.stats.storeErrors++;
        if (attempt > STORE_RETRIES || this.stopping) return false;
        await new Promise((resolve) => setTimeout(resolve, backoff(attempt)));
      }
    }
  }

  /** one message through sources → normalize → detect; its partial state alone */
  private async detect(delivery: Delivery): Promise<MessagePartials> {
    if (delivery.malformed) throw malformed(delivery.malformed);
    const { message } = delivery;
    if (message.format !== undefined && !isSourceName(message.format)) throw new Error(`unknown format '${message.format}'`);
    // valid until the next delivery's body: scanInput reads it through, and sources copy what they keep
    let body: Uint8Array;
    try {
      body = delivery.body();
    } catch (error) {
      throw malformed((error as Error).message);
    }
    const input: SourceInput = { ...bufferInput(message.source, Buffer.from(body.buffer, body.byteOffset, body.byteLength)), startsAt: message.startsAt, ...(message.host && { host: message.host }) };
    const report = new RunReport();
    try {
      await scanInput(input, this.analyzer, message.format ? { ...this.scanOptions, format: message.format } : this.scanOptions, report);
    } catch (error) {
      this.analyzer.drain();
      throw error;
    }
    // records the prefilter ruled out were read too: they count as events in
    return { id: message.id, source: message.source, events: report.events + report.prefiltered, partials: this.analyzer.drain(), storedAt: delivery.storedAt };
  }

  private async failed(delivery: Delivery, reason: string): Promise<void> {
    this.stats.failures++;
    if (delivery.deliveries < this.options.maxDeliver) {
      delivery.nak(backoff(delivery.deliveries));
      return;
    }
    await delivery.deadLetter(reason);
  }

  metrics(backlog?: { pending: number; inFlight: number }): Metric[] {
    const s = this.stats;
    const out: Metric[] = [
      { name: 'tunnelwatch_bus_messages_total', help: 'bus messages processed and committed by this worker', type: 'counter', value: s.messages },
      { name: 'tunnelwatch_bus_events_total', help: 'events read from committed messages (events in)', type: 'counter', value: s.events },
      { name: 'tunnelwatch_bus_findings_out_total', help: 'partial finding states written to the store (findings out)', type: 'counter', value: s.findingsOut },
      { name: 'tunnelwatch_bus_redeliveries_total', help: 'deliveries of a message delivered before (nothing added twice)', type: 'counter', value: s.redeliveries },
      { name: 'tunnelwatch_bus_failures_total', help: 'messages that failed and were redelivered later or dead-lettered', type: 'counter', value: s.failures },
      { name: 'tunnelwatch_bus_store_errors_total', help: 'store transactions that failed (retried, then the batch nak\'ed for later)', type: 'counter', value: s.storeErrors },
      { name: 'tunnelwatch_bus_dead_letters_total', help: 'messages this worker moved to the dead-letter subject', type: 'counter', value: this.consumer.deadLettered },
      { name: 'tunnelwatch_bus_lag_seconds', help: 'publish-to-commit time of the last committed batch', type: 'gauge', value: s.lastLagMs / 1000 },
    ];
    if (backlog) {
      out.push({ name: 'tunnelwatch_bus_lag_messages', help: 'messages not yet acknowledged by any worker (pending + in flight)', type: 'gauge', value: backlog.pending + backlog.inFlight });
    }
    return out;
  }
}

function malformed(reason: string): Error {
  return new Error(`malformed message: ${reason}`);
}

/** nak delay: 0.5 s, 1 s, 2 s ... up to 30 s */
function backoff(deliveries: number): number {
  return Math.min(MAX_NAK_DELAY_MS, 500 * 2 ** Math.max(0, deliveries - 1));
}
