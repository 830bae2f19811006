import type { MappingCatalog } from '../cim/verbatim.js';
import { families } from '../families/registry.js';
import type { Detection } from '../rules/detection.js';
import type { RecordKind, RecordPrefilter } from '../sources/source.js';
import { analyse, type Analysis } from './prefilter-analysis.js';
import { KindPrefilter } from './prefilter-by-kind.js';
import type { KindCatalog } from './prefilter-kinds.js';
import { decodePrefilter, encodePrefilter, type SavedKinds, type SavedTest, type TextAutomata } from './prefilter-tables.js';
import { EncodedTests, textTests } from './prefilter-tests.js';
import type { TableStore } from './saved-tables.js';

/**
 * A prefilter that passes every record some detection could match (undefined without detections).
 * When a detection has no required literal, every record of unknown kind must be parsed; a record
 * whose kind its source knows (RecordKind) is tested against the detections of that kind only.
 * `tables`: the event families' mapping tables, which say which fields are verbatim and which
 * event codes each dataset reads (default: the registered families). `store`: where the analysis
 * and the text automata of earlier runs over the same detections are kept (prefilter-tables.ts).
 */
export function buildPrefilter(detections: Detection[], tables: MappingCatalog & KindCatalog = families.normalizer, store?: TableStore): RecordPrefilter | undefined {
  if (detections.length === 0) return undefined;
  const kinds = (saved?: SavedKinds<() => SavedTest>) => new KindPrefilter(detections, tables, saved);
  const saved = store && decodePrefilter(store.read(), detections.length);
  if (saved) return saved.literal ? new LiteralPrefilter({ ...saved.literal.analysis, uncovered: [] }, () => kinds(saved.kinds), saved.literal.text) : kinds(saved.kinds);
  // one detection without a literal is enough to know records of unknown kind all pass: the rest is not analysed
  const analysis = analyse(detections, tables, true);
  if (analysis.uncovered.length > 0) {
    const byKind = kinds();
    // saved, the tests of the kinds probes report are built now rather than on each kind's first record: the next run reads them
    if (store) store.write(encodePrefilter({ detections: detections.length, kinds: byKind.prebuilt() }));
    return byKind;
  }
  if (!store) return new LiteralPrefilter(analysis, kinds);
  // saved, the text tests and those of the kinds probes report are built now rather than on first use: the next run reads them
  const { text } = textTests(analysis).compiled();
  const byKind = kinds();
  store.write(encodePrefilter({ detections: detections.length, literal: { analysis, text }, kinds: byKind.prebuilt() }));
  return new LiteralPrefilter(analysis, () => byKind, text);
}

/**
 * The lowercased strings the prefilter searches raw records for, and the detections that have no
 * required literal (any one of them disables the prefilter). Benchmarks grep for the same needles.
 */
export function prefilterNeedles(detections: Detection[]): { needles: string[]; wholeNumbers: Set<string>; uncovered: Detection[] } {
  const { needles, wholeNumbers, uncovered } = analyse(detections, families.normalizer);
  return { needles, wholeNumbers, uncovered };
}

/** The quick test finds any needle in one pass; the few records it passes get the exact test. */
class LiteralPrefilter implements RecordPrefilter {
  private readonly text: EncodedTests;

  private byKind?: KindPrefilter;

  /**
   * `kinds`: the tests of each record kind, built on the first record whose kind is known;
   * `text`: the text automata as an earlier run saved them
   */
  constructor(
    analysis: Analysis,
    private readonly kinds: () => KindPrefilter,
    text?: TextAutomata,
  ) {
    this.text = textTests(analysis, text);
  }

  mayMatchText(text: string): boolean {
    return this.text.mayMatchText(text);
  }

  mayMatchBytes(bytes: Uint8Array, start?: number, end?: number): boolean {
    return this.text.passesBoth(bytes, start, end);
  }

  mayMatchUtf16(bytes: Uint8Array, start?: number, end?: number): boolean {
    return this.text.utf16.passesBoth(bytes, start, end);
  }

  mayMatchUtf16Each(bytes: Uint8Array, ranges: ArrayLike<number>, passed: Uint8Array): void {
    this.text.utf16.passesEach(bytes, ranges, passed);
  }

  mayMatchKind(bytes: Uint8Array, start: number, end: number, kind: RecordKind): boolean {
    return this.kindTests.mayMatchBytes(bytes, start, end, kind);
  }

  mayMatchKindUtf16(bytes: Uint8Array, start: number, end: number, kind: RecordKind): boolean {
    return this.kindTests.mayMatchKindUtf16(bytes, start, end, kind);
  }

  private get kindTests(): KindPrefilter {
    this.byKind ??= this.kinds();
    return this.byKind;
  }
}
