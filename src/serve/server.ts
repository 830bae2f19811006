import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { hecReply, type HecReply } from '../ingest/hec-codes.js';
import { newHecStats, registerHec, type HecStats } from '../ingest/hec.js';
import { Journal, type RecordAppender } from '../ingest/journal.js';
import { prometheusText, PROMETHEUS_CONTENT_TYPE, type Metric } from '../diagnostics/prometheus.js';
import { ResendWindow } from '../ingest/resend-window.js';
import { SyslogListener } from '../ingest/syslog-listener.js';
import { openStore } from '../store/registry.js';
import type { FindingStore } from '../store/store.js';
import { matchedValuesByDetection } from '../engine/matched-values.js';
import { registerApi } from './api.js';
import type { TokenConfig } from './config.js';
import { JournalFollower } from './follow.js';
import { JournalProcessor } from './processor.js';
import { DetectionThread } from './processor-thread.js';
import type { PipelineConfig } from '../pipeline/config.js';
import { LagMeter } from './lag.js';
import type { PipelineSetup } from '../pipeline/setup.js';

export interface ServeOptions {
  host: string;
  port: number;
  dataDir: string;
  /** a postgres:// URL, a SQLite file, or (default) the data directory's SQLite file */
  store?: string;
  /** the primary token (HEC and API) */
  token: string;
  /** more HEC tokens from the config file */
  tokens: TokenConfig[];
  allowQueryStringAuth: boolean;
  /** content, tuning, windows and risk settings (maxRecordBytes, windows: `setup.config`) */
  setup: PipelineSetup;
  /**
   * Detection in a thread of its own (`serve`'s default: see docs/serve.md), which loads the
   * content again from the configuration `setup` was prepared from; absent: detection on the main
   * thread, with `setup` (`serve --no-detection-thread`).
   */
  detectionThread?: { config: PipelineConfig; contentRoot: string };
  /** HEC body caps: on the wire and after gzip */
  maxBodyBytes: number;
  maxDecompressedBytes: number;
  /** journal bytes acknowledged but not yet processed: past this, 503 code 9 (Server is busy) */
  maxLagBytes: number;
  /** seconds an event taken now may be expected to wait for detection (see LagMeter) before HEC answers 503 code 9: a bound on ingest-to-finding latency; 0 or absent: none */
  maxLagSeconds?: number;
  /** bytes waiting for the journal's fsync: past this, 429 code 26 (Queue at capacity) */
  maxQueuedBytes: number;
  /** HEC event digests remembered against resends */
  resendWindow: number;
  /** processed journal kept on disk (it also rebuilds the resend window on start) */
  journalKeepBytes: number;
  /** syslog over UDP and TCP on one port */
  syslog?: { host: string; port: number; maxFrameBytes: number };
  /** where "tune from a finding" saves entries (default: DATA/tuning.yml, which serve loads when it exists) */
  tuningFile?: string;
  /** files (and directories) followed into the journal, as `watch` follows them */
  follow?: { paths: string[]; poll?: boolean };
  /**
   * Where HEC and syslog write instead of the journal (`serve --nats`: the bus; 200 only after its
   * PubAck), with its own metrics; the workers then detect, and this process only ingests.
   */
  ingest?: RecordAppender & { metrics(): Metric[] };
}

/** the journal processor on this thread, or in its own (`detectionThread`): what the runtime and its tests use of either */
export type Processor = Pick<JournalProcessor, 'committed' | 'lag' | 'error' | 'stats' | 'skipped' | 'run' | 'stop' | 'step'>;

/** Security headers on every answer; the API is not for other origins (no CORS headers are ever sent). */
const securityHeaders: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};

/**
 * `tunnelwatch serve`: HEC (and the API) on one HTTP listener, the durable journal, the processor
 * that turns the journal into findings in the store, and live updates.
 */
export class ServeRuntime {
  private shuttingDown = false;
  private readonly abort = new AbortController();
  private processing: Promise<void> = Promise.resolve();
  private readonly listeners = new Set<(changed: string[]) => void>();
  private readonly lagMeter = new LagMeter();
  readonly hecStats: HecStats = newHecStats();
  syslog: SyslogListener | undefined;
  follower: JournalFollower | undefined;
  readonly followErrors: Array<{ file: string; message: string }> = [];

  private constructor(
    readonly options: ServeOptions,
    readonly store: FindingStore,
    readonly journal: Journal,
    readonly processor: Processor,
    readonly app: FastifyInstance,
  ) {}

  static async start(options: ServeOptions): Promise<ServeRuntime> {
    const store = await openStore(options.store ?? options.dataDir);
    let journal: Journal | undefined;
    try {
      journal = Journal.open(path.join(options.dataDir, 'journal'));
      let runtime: ServeRuntime | undefined;
      const onCommit = (changed: string[]) => runtime?.publish(changed);
      const processor: Processor = options.detectionThread
        ? await DetectionThread.start({ ...options.detectionThread, store: options.store ?? options.dataDir, journalDir: journal.dir }, journal, onCommit)
        : await JournalProcessor.open({ store, journal, setup: options.setup, onCommit });
      const resend = new ResendWindow(options.resendWindow);
      for (let at = journal.start; at < journal.end; ) {
        const records = journal.read(at, 16 * 1024 * 1024);
        for (const r of records) for (const d of r.header.digests ?? []) resend.add(d);
        at = records[records.length - 1].next;
      }
      const { default: Fastify } = await import('fastify');
      // bodies are capped by the HEC plugin itself (hundreds of MB, and after gzip), not by fastify's 1 MiB
      const app = Fastify({ logger: false, bodyLimit: 1024 * 1024, forceCloseConnections: true, return503OnClosing: true });
      runtime = new ServeRuntime(options, store, journal, processor, app);
      app.addHook('onSend', async (_request, reply, payload) => {
        for (const [k, v] of Object.entries(securityHeaders)) if (!reply.hasHeader(k)) reply.header(k, v);
        return payload;
      });
      const tokens = new Map<string, TokenConfig>([[options.token, { token: options.token, name: 'primary', ack: false, disabled: false, api: true }]]);
      for (const t of options.tokens) tokens.set(t.token, t);
      const self = runtime;
      await app.register(async (hec) =>
        registerHec(hec, {
          journal: options.ingest ?? journal!,
          tokens,
          allowQueryStringAuth: options.allowQueryStringAuth,
          limits: { maxBodyBytes: options.maxBodyBytes, maxDecompressedBytes: options.maxDecompressedBytes },
          resend,
          admission: () => self.admission(),
          health: () => self.health(),
          stats: self.hecStats,
        }),
      );
      await app.register(async (api) =>
        registerApi(api, {
          store,
          apiTokens: [...tokens.values()].filter((t) => t.api && !t.disabled).map((t) => ({ token: t.token, name: t.name })),
          subscribe: (listener) => {
            self.listeners.add(listener);
            return () => self.listeners.delete(listener);
          },
          status: () => self.status(),
          matchedOf: matchedValuesByDetection(options.setup.detections),
          tuning: { store, detections: options.setup.detections, file: options.tuningFile ?? path.join(options.dataDir, 'tuning.yml') },
        }),
      );
      // the dashboard (issue 15) beside the API; serve still works without a built one
      await app.register(async (web) => {
        const { registerDashboard } = await import('../dashboard/static.js');
        await registerDashboard(web).catch((error: Error) => process.stderr.write(`tunnelwatch: no dashboard: ${error.message}\n`));
      });
      // counts only, no log data: readable without a token, as Prometheus scrapes it
      app.get('/metrics', async (_request, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).send(prometheusText(self.metrics())));
      app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'not found' }));
      await app.listen({ host: options.host, port: options.port });
      if (options.syslog) {
        runtime.syslog = await SyslogListener.start({ ...options.syslog, journal: options.ingest ?? journal, busy: () => self.admission() !== undefined });
      }
      runtime.processing = processor.run(runtime.abort.signal).then(() => undefined);
      if (options.follow) {
        runtime.follower = await JournalFollower.start({
          ...options.follow,
          journal,
          dataDir: options.dataDir,
          maxRecordBytes: options.setup.config.input.maxRecordBytes,
          // waits while the processor is behind; a shutdown lets the chunk in hand through (the journal closes after the follower)
          busy: () => !self.shuttingDown && self.admission() !== undefined,
          onError: (file, error) => {
            if (self.followErrors.length < 100) self.followErrors.push({ file, message: error.message });
          },
        });
      }
      const release = setInterval(() => journal!.release(processor.committed, options.journalKeepBytes), 10_000);
      release.unref();
      runtime.abort.signal.addEventListener('abort', () => clearInterval(release));
      return runtime;
    } catch (error) {
      journal?.close();
      await store.close();
      throw error;
    }
  }

  /** the listener's address, e.g. `127.0.0.1:8088` */
  get address(): string {
    const a = this.app.server.address();
    return a && typeof a === 'object' ? `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` : String(a);
  }

  get port(): number {
    const a = this.app.server.address();
    return a && typeof a === 'object' ? a.port : 0;
  }

  private admission(): HecReply | undefined {
    if (this.shuttingDown) return hecReply(23, { retryAfter: 5 });
    if (this.journal.queuedBytes > this.options.maxQueuedBytes) return hecReply(26, { retryAfter: 1 });
    if (this.behind()) return hecReply(9, { retryAfter: 1 });
    return undefined;
  }

  /** the processor is past a lag limit: too many bytes, or events waiting too long */
  private behind(): boolean {
    const { maxLagBytes, maxLagSeconds } = this.options;
    const { committed, lag } = this.processor;
    const wait = this.lagMeter.expectedWait(committed, lag, this.journal.waitingSince(committed));
    return lag > maxLagBytes || (maxLagSeconds !== undefined && maxLagSeconds > 0 && wait > maxLagSeconds);
  }

  private health(): HecReply | undefined {
    if (this.shuttingDown) return hecReply(23);
    if (this.behind() || this.journal.queuedBytes > this.options.maxQueuedBytes) return hecReply(18);
    return undefined;
  }

  private publish(changed: string[]): void {
    if (changed.length === 0) return;
    for (const listener of this.listeners) {
      try {
        listener(changed);
      } catch {
        this.listeners.delete(listener);
      }
    }
  }

  status(): Record<string, unknown> {
    return {
      listen: this.address,
      store: { kind: this.store.kind, location: this.store.location },
      journal: { start: this.journal.start, end: this.journal.end, committed: this.processor.committed, lag_bytes: this.processor.lag, queued_bytes: this.journal.queuedBytes },
      hec: this.hecStats,
      syslog: this.syslog ? { port: this.syslog.port, ...this.syslog.stats } : null,
      follow: this.follower ? { files: this.follower.files, errors: this.followErrors } : null,
      processed: { ...this.processor.stats(), ...this.processor.skipped() },
      processor_error: this.processor.error?.message ?? null,
    };
  }

  /** `/metrics`: events in, findings out, lag (and the bus's counts with `--nats`) */
  metrics(): Metric[] {
    const stats = this.processor.stats();
    return [
      { name: 'tunnelwatch_hec_requests_total', help: 'HEC requests accepted', type: 'counter', value: this.hecStats.requests },
      { name: 'tunnelwatch_hec_events_total', help: 'HEC events accepted (events in)', type: 'counter', value: this.hecStats.events },
      { name: 'tunnelwatch_hec_duplicates_total', help: 'HEC events or bodies already taken (resends)', type: 'counter', value: this.hecStats.duplicates },
      { name: 'tunnelwatch_syslog_messages_total', help: 'syslog messages received', type: 'counter', value: this.syslog?.stats.messages ?? 0 },
      { name: 'tunnelwatch_processed_events_total', help: 'events through the detections here', type: 'counter', value: stats.events },
      { name: 'tunnelwatch_findings_out_total', help: 'finding, risk event and incident upserts written to the store (findings out)', type: 'counter', value: stats.upserts },
      { name: 'tunnelwatch_lag_bytes', help: 'journal bytes acknowledged and not yet processed', type: 'gauge', value: this.processor.lag },
      ...(this.options.ingest?.metrics() ?? []),
    ];
  }

  /** Stops taking events (HEC answers 23), closes the listener, lets the processor finish its step, closes journal and store. */
  async close(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    await this.app.close();
    await this.syslog?.close();
    await this.follower?.close();
    this.abort.abort();
    await this.processing;
    this.journal.close();
    await this.store.close();
  }
}
