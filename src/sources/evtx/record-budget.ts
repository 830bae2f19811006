/**
 * The work one record's decode may cost, proportional to its size, so crafted nesting ends in a
 * WorkLimitError, never in a hang: the parser counts tokens, renderers count nodes and value bytes.
 */

/** A record needed more work than its size allows: crafted or corrupt, never real. */
export class WorkLimitError extends Error {}

/**
 * Work per byte of record a decode may spend, and a floor for tiny records. A real record costs
 * about one token per 4-10 bytes to parse, a few nodes per substitution to resolve, and shows each
 * value once; without a bound, nested BinXML values re-parsed in both layouts (parseNested) or
 * referenced many times cost time exponential in their depth.
 */
const WORK_PER_BYTE = 64;
const WORK_FLOOR = 4096;
const VALUE_BYTES_PER_BYTE = 8;
const VALUE_BYTES_FLOOR = 65536;

/**
 * The work one record may cost, proportional to its size: tokens parsed (template definitions met
 * on the way included), nodes resolved by a renderer, bytes of values rendered. A chunk's total is
 * then bounded by its 64 KiB, whatever its records hold.
 */
export class RecordBudget {
  private tokens = 0;
  private nodes = 0;
  private valueBytes = 0;
  private workLimit = WORK_FLOOR;
  private valueLimit = VALUE_BYTES_FLOOR;

  /** start a record of `bytes` bytes */
  begin(bytes: number): void {
    this.tokens = 0;
    this.workLimit = WORK_FLOOR + WORK_PER_BYTE * bytes;
    this.valueLimit = VALUE_BYTES_FLOOR + VALUE_BYTES_PER_BYTE * bytes;
    this.beginResolve();
  }

  /** start resolving the parsed record (each renderer walks it afresh) */
  beginResolve(): void {
    this.nodes = 0;
    this.valueBytes = 0;
  }

  parse(n = 1): void {
    this.tokens += n;
    if (this.tokens > this.workLimit) throw new WorkLimitError(`record needs more than ${this.workLimit} BinXML tokens parsed`);
  }

  resolve(n: number): void {
    this.nodes += n;
    if (this.nodes > this.workLimit) throw new WorkLimitError(`record expands to more than ${this.workLimit} nodes`);
  }

  /** a value of `bytes` bytes rendered */
  value(bytes: number): void {
    this.valueBytes += bytes;
    if (this.valueBytes > this.valueLimit) throw new WorkLimitError(`record renders more than ${this.valueLimit} bytes of values`);
  }
}
