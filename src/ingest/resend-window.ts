/**
 * The digests of the most recent units (HEC event envelopes, raw bodies) taken into the journal,
 * so that a client resending a batch (after a timeout, a 5xx, or a prefix commit) adds nothing
 * twice. Bounded: the oldest digests leave first; the window is rebuilt from the journal on start.
 */
export class ResendWindow {
  private readonly seen = new Set<string>();
  private readonly order: string[] = [];
  private head = 0;

  constructor(readonly capacity: number) {}

  has(digest: string): boolean {
    return this.seen.has(digest);
  }

  add(digest: string): void {
    if (this.capacity <= 0 || this.seen.has(digest)) return;
    this.seen.add(digest);
    this.order.push(digest);
    if (this.order.length - this.head > this.capacity) this.seen.delete(this.order[this.head++]);
    // compact the consumed front now and then, so the array does not grow without bound
    if (this.head > 4096 && this.head * 2 > this.order.length) {
      this.order.splice(0, this.head);
      this.head = 0;
    }
  }

  /** forgets a digest whose journal write failed: the client will resend it */
  delete(digest: string): void {
    this.seen.delete(digest);
  }

  get size(): number {
    return this.seen.size;
  }
}
