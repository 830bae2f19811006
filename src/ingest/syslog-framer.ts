/**
 * RFC 6587 framing of a syslog TCP stream, decided per frame: a frame that starts with a digit is
 * octet-counted (`MSG-LEN SP MSG`), any other is one line ending in LF (non-transparent framing).
 * Senders may mix both on one connection. Frames longer than `maxFrameBytes` are skipped whole and
 * counted; a connection that ends inside an octet-counted frame counts it as truncated.
 */
export interface FramerCounts {
  frames: number;
  oversize: number;
  truncated: number;
  /** an octet count that is not a number followed by a space */
  malformed: number;
}

const LF = 0x0a;
const SPACE = 0x20;
/** digits an octet count may have before it is malformed (10 digits: up to 9,999,999,999) */
const MAX_COUNT_DIGITS = 10;

export class SyslogFramer {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** bytes still to drop of an oversize frame; -1: drop up to the next LF */
  private discard = 0;
  /** the body length of the octet-counted frame being read, once its header is parsed */
  private counted = -1;
  readonly counts: FramerCounts = { frames: 0, oversize: 0, truncated: 0, malformed: 0 };

  constructor(private readonly maxFrameBytes: number) {}

  /** Adds bytes; returns the complete frames they finish (without framing bytes or the trailing LF). */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.discard !== 0) {
        if (this.discard === -1) {
          const lf = chunk.indexOf(LF, at);
          if (lf < 0) return frames;
          this.discard = 0;
          at = lf + 1;
        } else {
          const n = Math.min(this.discard, chunk.length - at);
          this.discard -= n;
          at += n;
        }
        continue;
      }
      if (this.counted >= 0) {
        const need = this.counted - this.pendingBytes;
        const take = Math.min(need, chunk.length - at);
        this.keep(chunk.subarray(at, at + take));
        at += take;
        if (this.pendingBytes === this.counted) {
          frames.push(this.take());
          this.counted = -1;
        }
        continue;
      }
      const first = this.pendingBytes > 0 ? this.pending[0][0] : chunk[at];
      if (first >= 0x30 && first <= 0x39) {
        // an octet count: digits then one space
        const space = chunk.indexOf(SPACE, at);
        const header = space < 0 ? chunk.subarray(at) : chunk.subarray(at, space);
        if (this.pendingBytes + header.length > MAX_COUNT_DIGITS || !isDigits(header)) {
          this.counts.malformed++;
          this.pending = [];
          this.pendingBytes = 0;
          this.discard = -1;
          continue;
        }
        if (space < 0) {
          this.keep(header);
          return frames;
        }
        const digits = Buffer.concat([...this.pending, header]).toString('latin1');
        this.pending = [];
        this.pendingBytes = 0;
        const length = Number(digits);
        at = space + 1;
        if (length > this.maxFrameBytes) {
          this.counts.oversize++;
          this.discard = length;
        } else if (length === 0) this.counts.malformed++;
        else this.counted = length;
        continue;
      }
      const lf = chunk.indexOf(LF, at);
      const end = lf < 0 ? chunk.length : lf;
      if (this.pendingBytes + (end - at) > this.maxFrameBytes) {
        this.counts.oversize++;
        this.pending = [];
        this.pendingBytes = 0;
        this.discard = lf < 0 ? -1 : 0;
        at = lf < 0 ? chunk.length : lf + 1;
        continue;
      }
      this.keep(chunk.subarray(at, end));
      if (lf < 0) return frames;
      frames.push(this.take());
      at = lf + 1;
    }
    return frames;
  }

  /** The stream ended: an unterminated LF frame is a frame; a partial octet-counted one is truncated. */
  end(): Buffer[] {
    if (this.counted >= 0 || (this.pendingBytes > 0 && this.pending[0][0] >= 0x30 && this.pending[0][0] <= 0x39)) {
      if (this.counted >= 0 || this.pendingBytes > 0) this.counts.truncated++;
      this.pending = [];
      this.pendingBytes = 0;
      this.counted = -1;
      return [];
    }
    if (this.pendingBytes === 0) return [];
    return [this.take()];
  }

  private keep(bytes: Buffer): void {
    if (bytes.length === 0) return;
    // the caller's chunk may be reused: copy
    this.pending.push(Buffer.from(bytes));
    this.pendingBytes += bytes.length;
  }

  private take(): Buffer {
    const frame = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.counts.frames++;
    // a CR before the LF belongs to the framing
    return frame.length > 0 && frame[frame.length - 1] === 0x0d ? frame.subarray(0, frame.length - 1) : frame;
  }
}

function isDigits(bytes: Buffer): boolean {
  for (const b of bytes) if (b < 0x30 || b > 0x39) return false;
  return true;
}
