/**
 * Where a partial state came from: a producer (a worker thread, a watch process, an ingest
 * connection...) and the sequence number of the batch within that producer. Merging is made
 * idempotent by never applying the same origin twice.
 */
export interface Origin {
  producer: string;
  sequence: number;
}

/** JSON form of a ledger, for checkpoints */
export interface OriginLedgerData {
  producers: Array<[producer: string, below: number, above: number[]]>;
}

/**
 * The origins merged so far, in bounded space per producer: every sequence below a floor, plus
 * the few above it that came out of order. A producer numbering its batches 0, 1, 2... keeps the
 * set above the floor empty however long it runs.
 */
export class OriginLedger {
  private readonly producers = new Map<string, { below: number; above: Set<number> }>();

  has(origin: Origin): boolean {
    const p = this.producers.get(origin.producer);
    return p !== undefined && (origin.sequence < p.below || p.above.has(origin.sequence));
  }

  /** records `origin`; false when it was already recorded (the caller must then not merge it) */
  add(origin: Origin): boolean {
    if (this.has(origin)) return false;
    let p = this.producers.get(origin.producer);
    if (!p) this.producers.set(origin.producer, (p = { below: 0, above: new Set() }));
    p.above.add(origin.sequence);
    while (p.above.delete(p.below)) p.below++;
    return true;
  }

  toData(): OriginLedgerData {
    return { producers: [...this.producers].map(([name, p]) => [name, p.below, [...p.above].sort((a, b) => a - b)]) };
  }

  static fromData(data: OriginLedgerData): OriginLedger {
    const ledger = new OriginLedger();
    for (const [name, below, above] of data.producers) ledger.producers.set(name, { below, above: new Set(above) });
    return ledger;
  }
}
