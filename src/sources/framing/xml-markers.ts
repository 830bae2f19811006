import markerBytes from './xml-markers.wasm.js';

/** a marker's kind: an event start tag (`<Event` and a name end) or an event end tag (`</Event>`) */
export const EVENT_START = 1;
export const EVENT_END = 2;
/** positions in the last this-many bytes of a buffer are not scanned: a marker there may be cut short */
export const UNSCANNED_TAIL = 7;
/** the scan looks at most this many bytes past a position */
const LOOK_AHEAD = 8;
const PAGE = 65536;
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
    if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / PAGE));
    new Uint8Array(memory.buffer, 0, buf.length).set(buf);
    this.count = this.exports.markers(end, out);
    this.list = new Int32Array(memory.buffer, out, this.count * 3);
    this.scannedEnd = end;
  }
}
