import type { CimEvent, DatasetName } from '../cim/model.js';
import type { RunReport } from '../diagnostics/run-report.js';
import { jsonKindProbe } from '../engine/prefilter-kinds.js';
import type { FamilyCatalog } from '../families/catalog.js';
import { families as registeredFamilies } from '../families/registry.js';
import { expandInputs } from '../sources/inputs.js';
import { pickSource, type SourceName } from '../sources/registry.js';
import type { RecordPrefilter, SourceContext, SourceInput, SyslogClock } from '../sources/source.js';

export interface ScanOptions {
  /** force one source instead of detecting each input's format from its content */
  format?: SourceName;
  maxRecordBytes: number;
  prefilter?: RecordPrefilter;
  /** called with an input's name and bytes consumed, now and then */
  onProgress?: (input: SourceInput, bytesRead: number) => void;
  onInputStart?: (input: SourceInput) => void;
  /** keep only events whose time is within [from, to] (epoch seconds); events without a time are kept */
  timeRange?: { from?: number; to?: number };
  signal?: AbortSignal;
  /** year and zone of RFC 3164 syslog headers */
  syslogClock?: SyslogClock;
  /** the event families read and normalised (default: the registered ones, src/families/registry.ts) */
  families?: FamilyCatalog;
  /** the prefilter's tests by kind (default on; a small scan turns them off: KIND_TESTS_MIN_BYTES) */
  kindTests?: boolean;
}

/** The detect stage as the pipeline needs it (a Detector, an Analyzer, a live store...). */
export interface EventObserver {
  observe(event: CimEvent): void;
  /** datasets the observer reads: events of other datasets are not normalized */
  readonly datasets: ReadonlySet<DatasetName>;
}

/** sources → normalize → detect over every input; problems land in `report`, never in exceptions. */
export async function scanInputs(detector: EventObserver, inputs: string[], options: ScanOptions, report: RunReport): Promise<void> {
  for await (const item of expandInputs(inputs)) {
    if (options.signal?.aborted) return;
    if (!('open' in item)) {
      report.inputErrors.push({ path: item.path, message: item.message });
      continue;
    }
    await scanInput(item, detector, options, report);
  }
}

/**
 * A scan of less than this gets no tests by kind from the prefilter (`RecordPrefilter.mayMatchKind`):
 * building them (the kind index, an analysis and two automata per kind seen) costs ~50 ms of CPU,
 * more than a small scan's extra parses. Decided for the whole scan from its inputs' size (stdin and
 * .gz files, of unknown size, count as large), so the counts of parsed events are the same with
 * any number of threads.
 */
export const KIND_TESTS_MIN_BYTES = 512 * 1024;

/** the prefilter without its tests by kind */
function withoutKindTests(prefilter: RecordPrefilter | undefined): RecordPrefilter | undefined {
  if (!prefilter?.mayMatchKind) return prefilter;
  return {
    mayMatchText: (text) => prefilter.mayMatchText(text),
    mayMatchBytes: (bytes, start, end, kind) => prefilter.mayMatchBytes(bytes, start, end, kind),
    mayMatchUtf16: (bytes, start, end) => prefilter.mayMatchUtf16(bytes, start, end),
    mayMatchUtf16Each: (bytes, ranges, passed) => prefilter.mayMatchUtf16Each(bytes, ranges, passed),
    usesKind: prefilter.usesKind,
  };
}

export async function scanInput(input: SourceInput, detector: EventObserver, options: ScanOptions, report: RunReport): Promise<void> {
  options.onInputStart?.(input);
  const source = await pickSource(input, options.format).catch(() => undefined);
  if (!source) {
    report.skip({ location: { file: input.name, offset: 0 }, code: 'unknown-format', reason: 'content matches no supported log format' });
    return;
  }
  const tally = report.addFile(input.name, source.name);
  report.bytesRead += input.size ?? 0;
  // in a piece after a file's first, line numbers count from the piece: the report resolves them
  const piece = input.range && input.range.start > 0 ? input.range.start : undefined;
  const families = options.families ?? registeredFamilies;
  const ctx: SourceContext = {
    maxRecordBytes: options.maxRecordBytes,
    jsonShapes: families.jsonShapes,
    jsonKind: jsonKindProbe(families.jsonKindReaders),
    prefilter: options.kindTests === false ? withoutKindTests(options.prefilter) : options.prefilter,
    signal: options.signal,
    syslogClock: options.syslogClock,
    skip: (skip) => {
      tally.skipped++;
      report.skip(piece !== undefined && skip.location.line !== undefined ? { ...skip, location: { ...skip.location, piece } } : skip);
    },
    pieceLines: (count) => report.countPieceLines(input.name, input.range?.start ?? 0, count),
    prefiltered: (n) => {
      tally.prefiltered += n;
      report.prefiltered += n;
    },
    progress: (bytes) => options.onProgress?.(input, bytes),
  };
  const datasets = detector.datasets;
  try {
    for await (const raw of source.read(input, ctx)) {
      tally.events++;
      // evidence lines counted from the piece are resolved to the file's once every piece is read
      if (piece !== undefined && raw.location.line !== undefined) raw.location.piece = piece;
      report.countEvent(families.normalizer.dataSourceOf(raw) ?? 'unmapped');
      for (const event of families.normalizer.normalize(raw, datasets)) if (inTimeRange(event.time, options.timeRange)) detector.observe(event);
    }
  } catch (error) {
    // A reader bug or an I/O failure ends this input, not the run.
    report.skip({ location: { file: input.name }, code: 'io-error', reason: (error as Error).message });
  }
}

function inTimeRange(time: number, range: ScanOptions['timeRange']): boolean {
  if (!range || Number.isNaN(time)) return true;
  return (range.from === undefined || time >= range.from) && (range.to === undefined || time <= range.to);
}
