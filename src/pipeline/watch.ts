import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomically } from './atomic-file.js';
import { boundHeapGrowth } from './heap-growth.js';
import { FileFollower, type FollowPosition } from '../sources/follow.js';
import type { StreamSink } from '../sinks/stream-sink.js';
import { bufferInput, StreamPipeline, type PipelineCheckpoint } from './stream.js';
import type { PipelineSetup } from './setup.js';

/**
 * `watch`: files followed as they grow (sources/follow.ts) feed a StreamPipeline; after every
 * burst of new lines the pipeline commits (upserts to the sinks), and the checkpoint, holding the
 * read offsets and the open windows together, is saved atomically to the state directory. A
 * restart resumes from it: lines after the saved offsets are read once, none before them again.
 */

export interface WatchOptions {
  /** files, directories (their files, and new ones as they appear), or `-` for stdin */
  inputs: string[];
  sinks: StreamSink[];
  /** where offsets and open windows are kept; none: a restart starts over */
  stateDir?: string;
  /** save the state at most this often (and always on stop) */
  checkpointIntervalMs?: number;
  poll?: boolean;
  onError(file: string, error: Error): void;
}

interface WatchState {
  version: 1;
  /** what the state was computed with: a state of other content or windows is refused */
  setupKey: string;
  checkpoint: PipelineCheckpoint<FollowPosition[]>;
}

const STATE_FILE = 'state.json';

export class WatchRun {
  private lastSave = 0;
  private pendingSave?: NodeJS.Timeout;
  private stdinDone?: Promise<void>;

  private constructor(
    readonly pipeline: StreamPipeline<FollowPosition[]>,
    private readonly follower: FileFollower | undefined,
    private readonly options: WatchOptions,
    private readonly setupKey: string,
  ) {}

  /**
   * Opens the sinks, restores the state directory's checkpoint if any, and starts following. A
   * watch runs for weeks beside other work, usually at a low rate: its heap growth is bounded.
   */
  static async start(setup: PipelineSetup, options: WatchOptions): Promise<WatchRun> {
    boundHeapGrowth();
    const setupKey = keyOf(setup);
    const state = options.stateDir ? loadState(options.stateDir, setupKey) : undefined;
    const pipeline = await StreamPipeline.open<FollowPosition[]>(setup, { sinks: options.sinks, checkpoint: state?.checkpoint });
    const files = options.inputs.filter((i) => i !== '-');
    let run: WatchRun | undefined;
    const follower =
      files.length === 0
        ? undefined
        : new FileFollower(files, {
            positions: state?.checkpoint.positions,
            maxRecordBytes: setup.config.input.maxRecordBytes,
            poll: options.poll,
            onChunk: async (chunk) => {
              await pipeline.ingest(chunk.input);
            },
            onIdle: () => (run as WatchRun).commit(false),
            onError: options.onError,
          });
    run = new WatchRun(pipeline, follower, options, setupKey);
    await follower?.start();
    if (options.inputs.includes('-')) run.stdinDone = run.readStdin();
    return run;
  }

  /** resolves when stdin (if followed) has ended; never for files */
  get stdinEnded(): Promise<void> | undefined {
    return this.stdinDone;
  }

  /** waits until everything the follower has been told about is read and committed */
  async settled(): Promise<void> {
    await this.follower?.settled();
  }

  /** Stops following, commits what was read, saves the state and closes the sinks: a clean stop. */
  async stop(): Promise<void> {
    await this.follower?.close();
    await this.commit(true);
    await this.pipeline.close();
  }

  /**
   * Commits what was read; saves the checkpoint now, or (when one was saved less than an interval
   * ago) at the end of the interval, so that a quiet moment always ends with the state on disk.
   */
  private async commit(force: boolean): Promise<void> {
    const checkpoint = await this.pipeline.commit(this.follower?.currentPositions() ?? []);
    const stateDir = this.options.stateDir;
    if (!stateDir) return;
    const state: WatchState = { version: 1, setupKey: this.setupKey, checkpoint };
    const wait = this.lastSave + (this.options.checkpointIntervalMs ?? 1000) - Date.now();
    clearTimeout(this.pendingSave);
    this.pendingSave = undefined;
    const save = () => {
      this.pendingSave = undefined;
      this.lastSave = Date.now();
      saveState(stateDir, state);
    };
    if (force || wait <= 0) save();
    else this.pendingSave = setTimeout(save, wait);
  }

  /** stdin in complete lines; it has no offsets to save, its windows are checkpointed all the same */
  private async readStdin(): Promise<void> {
    let rest: Buffer = Buffer.alloc(0);
    for await (const chunk of process.stdin) {
      const bytes = rest.length > 0 ? Buffer.concat([rest, chunk as Buffer]) : (chunk as Buffer);
      const end = bytes.lastIndexOf(0x0a) + 1;
      rest = Buffer.from(bytes.subarray(end));
      if (end === 0) continue;
      await this.pipeline.ingest(bufferInput('-', bytes.subarray(0, end)));
      await this.commit(false);
    }
    if (rest.length > 0) await this.pipeline.ingest(bufferInput('-', rest));
    await this.commit(true);
  }
}

/** the content and the settings that shape findings: a state from other ones cannot be resumed */
function keyOf(setup: PipelineSetup): string {
  const { findings, risk } = setup.config;
  const rules = [...setup.detections.map((d) => `${d.id}@${d.version}`), ...setup.correlations.map((c) => c.id)].sort();
  return createHash('sha256').update(JSON.stringify({ rules, windowSeconds: findings.windowSeconds ?? null, risk })).digest('hex').slice(0, 16);
}

export class StateMismatchError extends Error {}

function loadState(dir: string, setupKey: string): WatchState | undefined {
  const file = path.join(dir, STATE_FILE);
  if (!existsSync(file)) return undefined;
  const state = JSON.parse(readFileSync(file, 'utf8')) as WatchState;
  if (state.version !== 1 || state.setupKey !== setupKey) {
    throw new StateMismatchError(`${file} holds the state of other rules or windows: use another --state-dir, or remove it to start over`);
  }
  return state;
}

function saveState(dir: string, state: WatchState): void {
  mkdirSync(dir, { recursive: true });
  writeFileAtomically(path.join(dir, STATE_FILE), JSON.stringify(state));
}
