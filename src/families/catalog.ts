import { Normalizer } from '../cim/normalize.js';
import { orderJsonShapes, type JsonShape } from '../sources/json-shapes.js';
import type { JsonKindReader, RawEvent } from '../sources/source.js';
import type { EventFamily } from './family.js';

/**
 * A set of event families, put together once: the normalizer over their mapping tables, the JSON
 * shapes the jsonl source tries, and by-family lookups for the stages above cim (evidence, entities,
 * dump). src/families/registry.ts holds the registered set; a test may build one with a family of its own.
 */
export class FamilyCatalog {
  readonly normalizer: Normalizer;
  /** every family's JSON shapes, permissive ones last */
  readonly jsonShapes: readonly JsonShape[];
  private readonly byName: ReadonlyMap<string, EventFamily>;
  /** the families' readers of a JSON line's kind (engine/prefilter-kinds.ts runs them) */
  readonly jsonKindReaders: readonly JsonKindReader[];

  constructor(readonly families: readonly EventFamily[]) {
    this.normalizer = new Normalizer(families);
    this.jsonShapes = orderJsonShapes(families.flatMap((f) => f.jsonShapes));
    this.byName = new Map(families.map((f) => [f.name, f]));
    this.jsonKindReaders = families.flatMap((f) => (f.jsonKind ? [f.jsonKind] : []));
  }


  familyOf(raw: RawEvent): EventFamily | undefined {
    return this.byName.get(raw.family);
  }

  /**
   * `dump`'s line for an event, as its family renders it. An event of a family not in this set
   * (no source of the set makes one) prints its fields as one flat JSON object rather than failing.
   */
  dumpLine(raw: RawEvent, format: 'json' | 'xml'): string {
    return this.familyOf(raw)?.dump[format](raw) ?? JSON.stringify({ ...raw.system, ...raw.data });
  }

  /** the agent id an event names, with its host name, when its family says so */
  agentHost(raw: RawEvent): { agent: string; host: string } | undefined {
    return this.familyOf(raw)?.agentHost?.(raw);
  }
}
