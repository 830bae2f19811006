/**
 * How long an event acknowledged now will wait for detection: the journal bytes ahead of it over
 * the rate the processor has been committing them (the last few seconds), and at least how long the
 * oldest waiting record has waited already. HEC refuses past `--max-lag-seconds` on this estimate.
 * The age alone is not enough: while ingest runs faster than detection (say 3x), a record taken
 * when the oldest has waited just under the limit waits 3x the limit.
 */
export class LagMeter {
  /** (time in s, committed journal position) samples since the processor last caught up, oldest first, spanning about WINDOW_S */
  private readonly samples: Array<{ t: number; committed: number }> = [];

  /** seconds a record appended now is expected to wait; `waited`: how long the oldest waiting record has */
  expectedWait(committed: number, lagBytes: number, waited: number, now = performance.now() / 1000): number {
    if (lagBytes <= 0) {
      // caught up: the rate is measured again from the next busy moment (idle time is not slowness)
      this.samples.length = 0;
      return 0;
    }
    const last = this.samples[this.samples.length - 1];
    if (!last || now - last.t >= SAMPLE_S) this.samples.push({ t: now, committed });
    while (this.samples.length > 2 && now - this.samples[1].t >= WINDOW_S) this.samples.shift();
    const first = this.samples[0];
    const span = now - first.t;
    const rate = span >= SAMPLE_S ? (committed - first.committed) / span : 0;
    // no progress measured yet: the age is what is known
    return rate > 0 ? Math.max(waited, lagBytes / rate) : waited;
  }
}

const SAMPLE_S = 0.25;
const WINDOW_S = 3;
