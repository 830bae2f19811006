import type { RecordLocation, Skip } from '../diagnostics/skip.js';
import type { ByteRange } from './file-blocks.js';
import type { JsonShape } from './json-shapes.js';

/** Where a record came from, and what a source reports instead of throwing: both are the run report's vocabulary. */
export type { RecordLocation, Skip };

/**
 * One event as the log wrote it, before CIM normalization. Windows-shaped telemetry (EVTX, XML,
 * Sysmon for Linux, flat Sysmon JSON, evtx_dump JSON) fills `system` with the <System> envelope by
 * its XML names and `data` with EventData/UserData by name; CrowdStrike puts its flat object in `data`.
 */
export interface RawEvent {
  /**
   * The event family (src/families/): `windows` for every Windows-shaped format, else the family
   * whose JSON shape recognised the record (`crowdstrike`). It says how the event is normalised,
   * named and dumped.
   */
  family: string;
  /**
   * <System> fields by XML name: Provider (Name attribute), Channel, EventID, Computer,
   * TimeCreated (SystemTime, ISO-8601 UTC), EventRecordID, UserID (Security/@UserID or @UserId).
   */
  system: Record<string, string>;
  /** payload fields by name; positional `Data[0]`, `Data[1]`... when names are missing */
  data: Record<string, string>;
  location: RecordLocation;
}

/**
 * Cheap pre-parse test derived from the loaded rules: false means no rule can match a record
 * containing only these bytes, so the source may count the record and not parse it.
 */
export interface RecordPrefilter {
  /** `text` is the raw record as it appears in a text file (JSON- or XML-escaped) */
  mayMatchText(text: string): boolean;
  /**
   * the same test on raw UTF-8 bytes [start, end) before they are decoded (no view allocated per
   * record); `kind`: what the source found out about the record without parsing it, if anything
   */
  mayMatchBytes(bytes: Uint8Array, start?: number, end?: number, kind?: RecordKind): boolean;
  /** the same test on UTF-16LE record bytes [start, end) (EVTX record data) */
  mayMatchUtf16(bytes: Uint8Array, start?: number, end?: number): boolean;
  /**
   * mayMatchUtf16 of each range of bytes, [ranges[2i], ranges[2i + 1]) (ascending, apart), in
   * passed[i] (1 or 0): the records of an EVTX chunk, tested in one call
   */
  mayMatchUtf16Each(bytes: Uint8Array, ranges: ArrayLike<number>, passed: Uint8Array): void;
  /** whether a record's kind can change the answer of mayMatchBytes (else a source need not probe for it) */
  readonly usesKind?: boolean;
  /**
   * A narrower second test for a record mayMatchBytes passed, once its source knows its kind for
   * certain (a cheap probe run only on the few records that pass): the rules of that kind only.
   */
  mayMatchKind?(bytes: Uint8Array, start: number, end: number, kind: RecordKind): boolean;
  /** mayMatchKind on UTF-16LE record bytes (EVTX, whose records tell their kind once their System section is decoded) */
  mayMatchKindUtf16?(bytes: Uint8Array, start: number, end: number, kind: RecordKind): boolean;
}

/**
 * What a source can tell of a raw record without parsing it: the event family it will be read as,
 * and <System> fields that parsing will give exactly these values (Windows: `EventID`). A claim,
 * not a guess: a probe that is not sure returns no kind.
 */
export interface RecordKind {
  family: string;
  system: Readonly<Record<string, string>>;
  /** how to read the record's payload fields from its bytes, where the probe's family knows how (prefilter vetoes) */
  readonly payload?: PayloadFields;
}

/**
 * The payload fields of the record bytes[start, end) of a known kind, read without parsing it: a
 * reader of them, or undefined when nothing about them is certain. Like a kind, an answer is a
 * claim: parsing the record gives an event whose payload field `key` has exactly that value, or no
 * event at all.
 */
export type PayloadFields = (bytes: Uint8Array, start: number, end: number) => PayloadReader | undefined;

/** one payload field's value as parsing would give it; undefined when not certain (absent included) */
export type PayloadReader = (key: string) => string | undefined;

/**
 * How a family tells what one of its JSON lines is without parsing it (see RecordKind): `probe`
 * reads bytes[start, end) and answers only when certain (parsing the line then gives an event of
 * that kind, or no event at all).
 */
export interface JsonKindReader {
  readonly probe: RecordKindProbe;
}

/** A probe of a raw record's bytes [start, end): its kind, or undefined when not certain. */
export type RecordKindProbe = (bytes: Buffer, start: number, end: number) => RecordKind | undefined;

export interface SourceContext {
  /** longest record a text source keeps; longer ones are skipped with `line-too-long` */
  maxRecordBytes: number;
  skip(skip: Skip): void;
  /** records a source dropped because the prefilter proved they cannot match */
  prefiltered?(count: number): void;
  /** bytes of input consumed so far, for progress bars */
  progress?(bytesRead: number): void;
  /** a line-based reader of a piece of a file: how many lines start in its piece */
  pieceLines?(count: number): void;
  prefilter?: RecordPrefilter;
  signal?: AbortSignal;
  /** how an RFC 3164 syslog header's time (no year, no zone) is read, for events without a time of their own */
  syslogClock?: SyslogClock;
  /**
   * The JSON shapes the registered event families recognise, in the order tried (the jsonl source
   * reads them; src/families/registry.ts has the run's). A JSON record none reads is skipped.
   */
  jsonShapes: readonly JsonShape[];
  /** what a JSON line is without parsing it (the registered families' probes), for the prefilter */
  jsonKind?: RecordKindProbe;
}

/**
 * RFC 3164 timestamps (`Mar  9 08:02:11`) have no year and no zone. `year`: absent, the year that
 * puts the time at most a week past now (a December message read in January is last year's);
 * `timeZone`: an IANA name (`Europe/Berlin`), `UTC` or `±hh:mm`; absent, the reading host's zone.
 */
export interface SyslogClock {
  year?: number;
  timeZone?: string;
}

/** A place in a file: 1-based line and byte offset (of the decompressed input). */
export interface FilePosition {
  line: number;
  offset: number;
}

/** An input to read: a file, a decompressed .gz, or stdin. */
export interface SourceInput {
  /** display name used in every location: the path as given, or `-` */
  name: string;
  /**
   * The decompressed bytes from the start, chunk by chunk. A chunk may be overwritten once the next
   * one is requested (plain files are read into a reused block): copy what you keep.
   */
  open(): AsyncIterable<Buffer>;
  /** path of a plain (not compressed) file, when random access is possible */
  path?: string;
  /**
   * Only this piece of the file at `path` (a source that can read pieces alone, EVTX, is given
   * slot-aligned ones); `size` is then the piece's.
   */
  range?: ByteRange;
  /**
   * Where the first byte `open()` yields sat in the file named `name`, when the bytes are a
   * record-aligned part of it sent elsewhere (a message on a bus): locations are then the file's.
   * Line-based and Windows XML sources take line and offset; EVTX takes the offset of a chunk slot.
   */
  startsAt?: FilePosition;
  /** size in bytes of the (compressed) input, when known, for progress */
  size?: number;
  /** the host of events that name none (a network listener's peer or sender-given host) */
  host?: string;
}

/** What a source's sniff returns: how sure it is that an input's head is its format. */
export const Sniff = { notMine: 0, plausible: 1, certain: 2 } as const;

export interface Source {
  /** user-facing name, as given to --format */
  readonly name: string;
  /**
   * How sure this source is that `head` (the first bytes of the decompressed input) is its format
   * (a Sniff score). The registry picks the highest.
   */
  sniff(head: Buffer): number;
  read(input: SourceInput, ctx: SourceContext): AsyncIterable<RawEvent>;
  /**
   * For a format whose records can be read from a piece of a plain file alone: `input` cut into
   * pieces of about `pieceBytes` each (threads then share one large file), or undefined when it
   * cannot be cut (too small, or, judging by `head`, its first bytes, a form that must be read
   * whole). Must not read the file.
   */
  split?(input: SourceInput, pieceBytes: number, head: Buffer): ByteRange[] | undefined;
}
