import { parseEpochMillisSeconds } from '../../cim/time.js';
import { present } from '../../cim/values.js';
import { topLevelScalars } from '../../sources/json-shapes.js';
import type { EventFamily } from '../family.js';
import { windowsEventXml } from '../windows/dump.js';
import { crowdstrikeDnsRequest } from './dns-request.js';
import { crowdstrikeProcessRollup2 } from './process-rollup2.js';

const EVERY_KEY: ReadonlySet<string> = new Set();

/** CrowdStrike Falcon Data Replicator: one flat JSON object per event, named by `event_simpleName`. */
export const crowdstrikeFamily = {
  name: 'crowdstrike',
  sources: {
    // JSON only: every value is text, none EVTX-typed
    crowdstrike: { providers: [], channels: [], dataSourcePrefix: 'CrowdStrike ', documentedEvents: [], evtxTyped: {} },
  },
  mappings: [crowdstrikeProcessRollup2, crowdstrikeDnsRequest],
  eventCode: (raw) => raw.data.event_simpleName,
  /** `timestamp`, epoch milliseconds */
  eventTime(raw) {
    const timestamp = present(raw.data.timestamp);
    return timestamp === undefined ? NaN : parseEpochMillisSeconds(timestamp);
  },
  jsonShapes: [
    {
      name: 'crowdstrike-fdr',
      read: (v) => ('event_simpleName' in v ? { kind: 'event', family: 'crowdstrike', system: {}, data: topLevelScalars(v, EVERY_KEY) } : undefined),
    },
  ],
  dump: {
    // the flat object as FDR wrote it (its scalar fields), which the jsonl source reads back
    json: (raw) => JSON.stringify(raw.data),
    // no XML of its own: the payload as EventData, as tools that read Windows XML expect
    xml: windowsEventXml,
  },
  agentHost(raw) {
    const agent = raw.data.aid;
    const host = raw.data.ComputerName ?? raw.data.aid_computer_name;
    return agent === undefined || host === undefined ? undefined : { agent, host };
  },
} satisfies EventFamily;
