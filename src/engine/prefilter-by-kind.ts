/**
 * The prefilter of a rule set with a detection that has no required literal (prefilter.ts): a
 * record of known kind is tested against the detections of its kind only (prefilter-kinds.ts).
 */
import type { MappingCatalog } from '../cim/verbatim.js';
import type { Detection } from '../rules/detection.js';
import type { RecordKind, RecordPrefilter } from '../sources/source.js';
import { analyse } from './prefilter-analysis.js';
import { canonicalKind, KindIndex, type KindCatalog } from './prefilter-kinds.js';
import type { SavedKinds, SavedTest } from './prefilter-tables.js';
import { textTests, type EncodedTests } from './prefilter-tests.js';

function kindKey(kind: RecordKind): string {
  let key = kind.family;
  for (const name in kind.system) key += `\0${name}\0${kind.system[name]}`;
  return key;
}

/** kinds whose tests are kept; a hostile input naming more event codes has the rest recomputed */
const MAX_KINDS = 1024;

/**
 * With a detection that has no required literal: records of unknown kind all pass; a record of
 * known kind gets the tests of the detections of its kind (none: it fails; one without a literal:
 * it passes). Kinds with the same detections, read from the same tables (which decide the vetoes),
 * share one test. Tests an earlier run saved (`saved`, by canonical kind) are read instead of
 * derived: deriving a kind's test walks every detection's plan and builds its automata (of text
 * and of UTF-16), a few hundred milliseconds with SigmaHQ's rules.
 */
export class KindPrefilter implements RecordPrefilter {
  readonly usesKind = true;
  private readonly byKind = new Map<string, EncodedTests | boolean>();
  private readonly byOneField = new Map<string, Map<string, Map<string, EncodedTests | boolean>>>();
  private oneFieldKinds = 0;
  private readonly byDetections = new Map<string, EncodedTests | boolean>();
  private readonly restoredTests = new Map<() => SavedTest, EncodedTests>();
  private kindIndex?: KindIndex<Detection>;
  private readonly mentioned?: ReadonlySet<string>;

  constructor(
    private readonly detections: Detection[],
    private readonly tables: MappingCatalog & KindCatalog,
    private readonly saved?: SavedKinds<() => SavedTest>,
  ) {
    if (saved) this.mentioned = new Set(saved.mentioned);
  }

  /** built on the first kind no saved test covers (it reads every detection's plan) */
  private get kinds(): KindIndex<Detection> {
    this.kindIndex ??= new KindIndex(this.detections, this.tables);
    return this.kindIndex;
  }

  /** The tests of the kinds probes report (KindIndex.likelyKinds), built now, as data to save. */
  prebuilt(): SavedKinds {
    const tests = new Map<string, boolean | SavedTest>();
    const compiled = new Map<EncodedTests, SavedTest>();
    for (const kind of this.kinds.likelyKinds()) {
      const test = this.testOfAnyKind(kind);
      if (typeof test === 'boolean') {
        tests.set(kindKey(kind), test);
        continue;
      }
      const data = compiled.get(test) ?? test.compiled();
      compiled.set(test, data);
      tests.set(kindKey(kind), data);
    }
    return { mentioned: this.kinds.mentionedValues, tests };
  }

  mayMatchText(): boolean {
    return true;
  }

  mayMatchUtf16(): boolean {
    return true;
  }

  mayMatchUtf16Each(_bytes: Uint8Array, ranges: ArrayLike<number>, passed: Uint8Array): void {
    passed.fill(1, 0, ranges.length >> 1);
  }

  mayMatchKind(bytes: Uint8Array, start: number, end: number, kind: RecordKind): boolean {
    return this.mayMatchBytes(bytes, start, end, kind);
  }

  mayMatchKindUtf16(bytes: Uint8Array, start: number, end: number, kind: RecordKind): boolean {
    const test = this.testOf(kind);
    return typeof test === 'boolean' ? test : test.utf16.mayMatchBytes(bytes, start, end, kind.payload);
  }

  mayMatchBytes(bytes: Uint8Array, start?: number, end?: number, kind?: RecordKind): boolean {
    if (kind === undefined) return true;
    const test = this.testOf(kind);
    if (typeof test === 'boolean') return test;
    return test.mayMatchBytes(bytes, start, end, kind.payload);
  }

  /**
   * The test of a record whose <System> has one field (a JSON line's `EventID`), by family, field
   * name and value: looked up on every such line, so without building a key string for each.
   */
  private testOf(record: RecordKind): EncodedTests | boolean {
    let name: string | undefined;
    let fields = 0;
    for (const n in record.system) if (fields++ === 0) name = n;
    if (fields !== 1) return this.testOfAnyKind(record);
    const value = record.system[name as string];
    const byName = this.byOneField.get(record.family) ?? new Map<string, Map<string, EncodedTests | boolean>>();
    const byValue = byName.get(name as string) ?? new Map<string, EncodedTests | boolean>();
    const seen = byValue.get(value);
    if (seen !== undefined) return seen;
    const test = this.testOfAnyKind(record);
    if (this.oneFieldKinds++ < MAX_KINDS) {
      byValue.set(value, test);
      byName.set(name as string, byValue);
      this.byOneField.set(record.family, byName);
    }
    return test;
  }

  private testOfAnyKind(record: RecordKind): EncodedTests | boolean {
    const seen = this.byKind.get(kindKey(record));
    if (seen !== undefined) return seen;
    const kind = this.mentioned ? canonicalKind(record, this.mentioned) : this.kinds.canonical(record);
    const key = kindKey(kind);
    const known = this.byKind.get(key) ?? this.restored(key);
    if (known !== undefined) {
      if (this.byKind.size < MAX_KINDS) this.byKind.set(key, known).set(kindKey(record), known);
      return known;
    }
    // kinds with the same detections, read from the same tables (which decide the vetoes), share a test
    const subject = this.kinds.subjectOf(kind);
    let test = this.byDetections.get(subject.key);
    if (test === undefined) {
      const analysis = subject.detections.length === 0 ? undefined : analyse(subject.detections, this.tables, true, subject.tables);
      test = analysis === undefined ? false : analysis.uncovered.length > 0 || textTests(analysis);
      if (this.byDetections.size < MAX_KINDS) this.byDetections.set(subject.key, test);
    }
    if (this.byKind.size < MAX_KINDS) this.byKind.set(key, test);
    return test;
  }

  /** the saved test of a canonical kind, read now (tests shared by several kinds are read once) */
  private restored(key: string): EncodedTests | boolean | undefined {
    const saved = this.saved?.tests.get(key);
    if (saved === undefined || typeof saved === 'boolean') return saved;
    let test = this.restoredTests.get(saved);
    if (!test) {
      const { analysis, text } = saved();
      this.restoredTests.set(saved, (test = textTests(analysis, text)));
    }
    return test;
  }
}
