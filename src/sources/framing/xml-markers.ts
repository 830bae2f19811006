import { growMemoryTo } from '../wasm-memory.js';
import { GT, isSpace, LT, SLASH } from '../xml-event.js';
import markerBytes from './xml-markers.wasm.js';

/** a marker's kind: an event start tag (`<Event` and a name end), an event end tag (`</Event>`), `<EventData` */
export const EVENT_START = 1;
export const EVENT_END = 2;
export const EVENT_DATA = 3;
/** positions in the last this-many bytes of a buffer are not scanned: a marker there may be cut short */
export const UNSCANNED_TAIL = 10;
/** the scan looks at most this many bytes past a position */
const LOOK_AHEAD = 10;
/** markers are at least this many bytes apart: the room the output needs */
const MIN_MARKER_BYTES = 7;

let compiled: WebAssembly.Module | undefined;

interface MarkerExports {
  memory: WebAssembly.Memory;
  markers(end: number, out: number): number;
}

/**
 * The event markers of a buffer, found by xml-markers.wat: per marker, its position, kind and the
 * line breaks (LF) before it in the buffer, in order of position. Positions from `scannedEnd` on
 * are not covered (see UNSCANNED_TAIL).
 */
export class XmlMarkers {
  private readonly exports: MarkerExports;
  /** position, kind, line breaks before: three entries per marker */
  list = new Int32Array(0);
  count = 0;
  scannedEnd = 0;

  constructor() {
    compiled ??= new WebAssembly.Module(markerBytes);
    this.exports = new WebAssembly.Instance(compiled).exports as unknown as MarkerExports;
  }

  /** finds the markers of `buf` */
  find(buf: Buffer): void {
    const end = Math.max(0, buf.length - UNSCANNED_TAIL);
    // the bytes, LOOK_AHEAD bytes of room past them, then the output, 4-byte aligned
    const out = (buf.length + LOOK_AHEAD + 3) & ~3;
    const need = out + (Math.floor(end / MIN_MARKER_BYTES) + 1) * 12;
    const memory = this.exports.memory;
    growMemoryTo(memory, need);
    new Uint8Array(memory.buffer, 0, buf.length).set(buf);
    this.count = this.exports.markers(end, out);
    this.list = new Int32Array(memory.buffer, out, this.count * 3);
    this.scannedEnd = end;
  }
}

/** what an event's start and end tags share */
const NAME = Buffer.from('Event');

function isNameEnd(b: number): boolean {
  return isSpace(b) || b === GT || b === SLASH;
}

/**
 * One finder per thread, shared by every framer: a framer finds and reads a buffer's markers within
 * one synchronous scan of it, so no other framer's find comes in between. An instance per framer,
 * a memory of a megabyte or two grown afresh for each piece of a file a worker thread takes, cost
 * that thread page faults and early collections of the external memory.
 */
let threadFinder: XmlMarkers | undefined;

/**
 * Forward searches for event markers in one buffer at a time (XmlEventFramer's): the buffer's
 * markers are found once, when a search first needs them; only its last few bytes, which the scan
 * leaves out, are searched with Buffer.indexOf. A search is valid until the next newBuffer().
 */
export class MarkerSearch {
  private readonly finder = (threadFinder ??= new XmlMarkers());
  private found = false;
  private cursor = 0;
  /** whether the position the last search returned is an event start (else an end) */
  isStart = false;
  /** the line breaks in the buffer before that position, or -1 when the tail search found it */
  breaksBefore = -1;
  /** the first `<EventData` the searches passed since the last event start they returned (-1: none) */
  payloadAt = -1;

  /** the next search is in a buffer of its own */
  newBuffer(): void {
    this.found = false;
    this.payloadAt = -1;
  }

  /** the next event start or, unless `startsOnly`, event end at or after `from` in buf, or -1 */
  next(buf: Buffer, from: number, startsOnly: boolean): number {
    const markers = this.finder;
    if (!this.found) {
      markers.find(buf);
      this.found = true;
      this.cursor = 0;
    }
    const list = markers.list;
    let i = this.cursor;
    // searches move forward; one from further back starts over
    if (i > 0 && list[3 * (i - 1)] >= from) i = 0;
    for (; i < markers.count; i++) {
      const at = list[3 * i];
      const kind = list[3 * i + 1];
      if (kind === EVENT_DATA && this.payloadAt < 0) this.payloadAt = at;
      if (at < from || kind === EVENT_DATA || (startsOnly && kind === EVENT_END)) continue;
      this.cursor = i;
      this.isStart = kind === EVENT_START;
      // an <EventData after this start is this event's
      if (this.isStart) this.payloadAt = -1;
      this.breaksBefore = list[3 * i + 2];
      return at;
    }
    this.cursor = i;
    this.breaksBefore = -1;
    return this.searchTail(buf, Math.max(from, markers.scannedEnd), startsOnly);
  }

  private searchTail(b: Buffer, from: number, startsOnly: boolean): number {
    for (let k = b.indexOf(NAME, from + 1); k >= 0; k = b.indexOf(NAME, k + NAME.length)) {
      const after = k + NAME.length;
      // a tag cut off by the end of the buffer is decided when more bytes arrive
      if (after >= b.length) return -1;
      const c = b[after];
      if (b[k - 1] === LT && isNameEnd(c)) {
        this.isStart = true;
        return k - 1;
      }
      if (!startsOnly && c === GT && b[k - 1] === SLASH && b[k - 2] === LT && k - 2 >= from) {
        this.isStart = false;
        return k - 2;
      }
    }
    return -1;
  }
}
