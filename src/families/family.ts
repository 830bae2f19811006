import type { FamilyMappings } from '../cim/family-mappings.js';
import type { JsonShape } from '../sources/json-shapes.js';
import type { JsonKindReader, RawEvent } from '../sources/source.js';

/**
 * An event family: one kind of telemetry, everything the stages need to know of it, in one folder
 * (src/families/<name>/) and one line of src/families/registry.ts. The parts are declared where
 * the stage that reads them sits (JSON shapes: sources; mapping tables, event code and time: cim),
 * and this layer, which may see both, puts them together and passes them down.
 */
export interface EventFamily extends FamilyMappings {
  /** how its records look as JSON objects (none: it only comes from formats that name it, as XML) */
  readonly jsonShapes: readonly JsonShape[];
  /** what one of its JSON lines is, read from the bytes without parsing (see RecordKind) */
  readonly jsonKind?: JsonKindReader;
  /** how `dump` prints one of its events, one line each */
  readonly dump: {
    json(raw: RawEvent): string;
    xml(raw: RawEvent): string;
  };
  /** the host name an event gives an agent id (CrowdStrike's aid), so risk objects fold the two */
  agentHost?(raw: RawEvent): { agent: string; host: string } | undefined;
}
