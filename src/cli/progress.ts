import cliProgress from 'cli-progress';
import type { SourceInput } from '../sources/source.js';

/** A byte-based progress bar on stderr, shown only on a terminal; inputs add their size as they start. */
export class ScanProgress {
  private readonly bar?: cliProgress.SingleBar;
  private total = 0;
  private doneBefore = 0;
  private currentSize = 0;

  constructor(enabled: boolean) {
    if (!enabled) return;
    this.bar = new cliProgress.SingleBar(
      { stream: process.stderr, format: '{bar} {percentage}% | {value}/{total} MB | {file}', hideCursor: true, clearOnComplete: true },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(0, 0, { file: '' });
  }

  startInput(input: SourceInput): void {
    if (!this.bar) return;
    this.doneBefore += this.currentSize;
    this.currentSize = input.size ?? 0;
    this.total += this.currentSize;
    this.bar.setTotal(mb(this.total));
    this.bar.update(mb(this.doneBefore), { file: input.name });
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
