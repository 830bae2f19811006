import { Worker } from 'node:worker_threads';
import { isTextArena } from '../ingest/hec-events.js';
import type { Journal, JournalRecord } from '../ingest/journal.js';
import type { PipelineConfig } from '../pipeline/config.js';
import { roomyWorkerOldSpace } from '../pipeline/heap-growth.js';
import type { StreamStats } from '../pipeline/stream.js';
import type { ProcessorSkips } from './processor.js';

/**
 * serve's journal processor in a thread of its own (processor-worker.ts): HTTP parsing, HEC
 * envelopes and the journal's fsyncs stay on the main thread, detection and the store commits run
 * on the other core. Durability is unchanged: HEC answers 200 once the main thread has fsynced the
 * journal; the thread commits findings with its journal position in one store transaction and
 * resumes from it after a restart. Records are handed over in memory as they are fsynced (the
 * thread reads the files only to catch up after a restart, or when it fell further behind than
 * its in-memory window). The content is loaded again in the thread from the same configuration.
 */

/** what the detection thread is started with */
export interface DetectionThreadData {
  config: PipelineConfig;
  contentRoot: string;
  /** the store location (`openStore`) */
  store: string;
  journalDir: string;
  /** what the journal held durably when the thread started */
  durableEnd: number;
}

export type ToDetectionThread =
  | { type: 'records'; end: number; records: JournalRecord[] }
  | { type: 'run' }
  | { type: 'stop' }
  | { type: 'step' }
  | { type: 'close' };

export type FromDetectionThread =
  | { type: 'committed'; committed: number; changed: string[]; stats: StreamStats; skips: ProcessorSkips; error?: string; step?: boolean }
  | { type: 'failed'; message: string }
  | { type: 'closed' };

export class DetectionThread {
  private last!: Extract<FromDetectionThread, { type: 'committed' }>;
  private closed?: () => void;
  private stepped?: (done: boolean) => void;
  private stopped = false;

  private constructor(
    private readonly worker: Worker,
    private readonly journal: Journal,
    private readonly onCommit: (changed: string[]) => void,
  ) {}

  /** Starts the thread (it restores the store's checkpoint); rejects when it cannot. */
  static start(data: Omit<DetectionThreadData, 'durableEnd'>, journal: Journal, onCommit: (changed: string[]) => void): Promise<DetectionThread> {
    roomyWorkerOldSpace();
    const worker = new Worker(new URL('./processor-worker.js', import.meta.url), { workerData: { ...data, durableEnd: journal.end } satisfies DetectionThreadData });
    const thread = new DetectionThread(worker, journal, onCommit);
    // records fsynced from now on go to the thread as they are (it reads what came before from the
    // files), without their resend digests: detection has no use for them (100 strings a request to
    // copy over and collect)
    journal.onDurable = (end, records) => {
      const message = { type: 'records', end, records: records.map(({ header: { digests: _digests, ...header }, ...r }) => ({ ...r, header })) } satisfies ToDetectionThread;
      // the HEC texts' own buffers move to the thread instead of being copied (190 KB a request):
      // written and fsynced, they are read by nothing else here
      worker.postMessage(message, [...new Set(records.map((r) => r.body.buffer).filter(isTextArena))] as ArrayBuffer[]);
    };
    return new Promise((resolve, reject) => {
      let ready = false;
      worker.on('message', (message: FromDetectionThread) => {
        if (message.type === 'failed') return reject(new Error(message.message));
        if (message.type === 'closed') return thread.closed?.();
        thread.last = message;
        if (!ready) {
          ready = true;
          resolve(thread);
        } else if (message.step !== undefined) thread.stepped?.(message.step);
        else if (message.changed.length > 0) thread.onCommit(message.changed);
      });
      worker.on('error', (error) => {
        if (!ready) reject(error);
        else if (thread.last) thread.last = { ...thread.last, error: `the detection thread failed: ${error.message}` };
      });
      worker.on('exit', () => thread.closed?.());
    });
  }

  /** the journal position every committed result covers */
  get committed(): number {
    return this.last.committed;
  }

  /** journal bytes acknowledged to clients but not yet in the store */
  get lag(): number {
    return this.journal.end - this.last.committed;
  }

  get error(): Error | undefined {
    return this.last.error === undefined ? undefined : new Error(this.last.error);
  }

  stats(): StreamStats {
    return this.last.stats;
  }

  skipped(): ProcessorSkips {
    return this.last.skips;
  }

  /** processes until `signal` aborts (then the thread finishes its step, closes its store connection and ends) */
  async run(signal: AbortSignal): Promise<void> {
    const closed = new Promise<void>((resolve) => (this.closed = resolve));
    if (!this.stopped) this.worker.postMessage({ type: 'run' } satisfies ToDetectionThread);
    const close = () => this.worker.postMessage({ type: 'close' } satisfies ToDetectionThread);
    if (signal.aborted) close();
    else signal.addEventListener('abort', close, { once: true });
    await closed;
    await this.worker.terminate();
  }

  /** stops processing after the current step (tests: a stalled detection) */
  stop(): void {
    this.stopped = true;
    this.worker.postMessage({ type: 'stop' } satisfies ToDetectionThread);
  }

  /** one step in the thread (after `stop`); false when there was nothing to read */
  step(): Promise<boolean> {
    return new Promise((resolve) => {
      this.stepped = resolve;
      this.worker.postMessage({ type: 'step' } satisfies ToDetectionThread);
    });
  }
}
