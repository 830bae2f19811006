import type { SingleBar } from 'cli-progress';
import type { SourceInput } from '../sources/source.js';

/**
 * A byte-based progress bar on stderr, shown only on a terminal. Its total is every planned
 * file's size, known before the first byte is read (the bar never runs ahead and then shrinks);
 * stdin and FIFOs have no size and add nothing.
 */
export class ScanProgress {
  private doneBefore = 0;
  private currentSize = 0;

  private constructor(private readonly bar?: SingleBar) {}

  /** cli-progress is imported only for a terminal: piped and quiet runs skip its start-up cost */
  static async create(enabled: boolean, totalBytes: number, stream: NodeJS.WritableStream = process.stderr): Promise<ScanProgress> {
    if (!enabled) return new ScanProgress();
    const { default: cliProgress } = await import('cli-progress');
    const bar = new cliProgress.SingleBar(
      { stream, format: '{bar} {percentage}% | {value}/{total} MB | {file}', hideCursor: true, clearOnComplete: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(mb(totalBytes), 0, { file: '' });
    return new ScanProgress(bar);
  }

  startInput(input: SourceInput): void {
    if (!this.bar) return;
    this.doneBefore += this.currentSize;
    this.currentSize = input.size ?? 0;
    this.bar.update(mb(this.doneBefore), { file: input.name });
  }

  /** for a scan shared between threads: the bytes of the inputs every thread has finished */
  shared(done: number): void {
    this.bar?.update(mb(done), { file: '' });
  }

  update(bytesRead: number): void {
    this.bar?.update(mb(this.doneBefore + Math.min(bytesRead, this.currentSize || bytesRead)));
  }

  stop(): void {
    this.bar?.stop();
  }
}

function mb(bytes: number): number {
  return Math.round(bytes / 1e5) / 10;
}
