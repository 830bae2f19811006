import { parseIsoSeconds } from '../../cim/time.js';
import { present } from '../../cim/values.js';
import type { EventFamily } from '../family.js';
import { windowsDataSources } from './data-sources.js';
import { windowsEventJson, windowsEventXml } from './dump.js';
import { windowsJsonKind } from './json-kind.js';
import { windowsJsonShapes } from './json-shapes.js';
import { security4657 } from './security-4657.js';
import { security4688 } from './security-4688.js';
import { security5156 } from './security-5156.js';
import { rdpAuthentication1149, security4624 } from './logons.js';
import { sysmonDnsQuery } from './sysmon-dns-query.js';
import { linuxSysmonFile, sysmonFile } from './sysmon-file.js';
import { linuxSysmonRaw, sysmonImageLoad } from './sysmon-image-load.js';
import { linuxSysmonNetworkConnect, sysmonNetworkConnect } from './sysmon-network-connect.js';
import { linuxSysmonProcessCreate, sysmonProcessCreate } from './sysmon-process-create.js';
import { sysmonRegistry } from './sysmon-registry.js';

/**
 * Windows-shaped events: EVTX, Windows XML, Sysmon for Linux in syslog, and the JSON forms of
 * them. The <System> envelope names the data source (Provider, else Channel) and the EventID.
 */
export const windowsFamily = {
  name: 'windows',
  sources: windowsDataSources,
  otherChannelPrefix: 'Windows Event Log ',
  mappings: [
    sysmonProcessCreate,
    sysmonNetworkConnect,
    sysmonDnsQuery,
    sysmonImageLoad,
    sysmonRegistry,
    sysmonFile,
    linuxSysmonProcessCreate,
    linuxSysmonNetworkConnect,
    linuxSysmonRaw,
    linuxSysmonFile,
    security4688,
    security4657,
    security4624,
    security5156,
    rdpAuthentication1149,
  ],
  eventCode: (raw) => raw.system.EventID,
  /** `TimeCreated` (ISO-8601 UTC); Sysmon's `UtcTime` when that is missing or unparsable */
  eventTime(raw) {
    const created = present(raw.system.TimeCreated);
    const time = created === undefined ? NaN : parseIsoSeconds(created);
    if (!Number.isNaN(time)) return time;
    const utcTime = present(raw.data.UtcTime);
    return utcTime === undefined ? NaN : parseIsoSeconds(utcTime);
  },
  jsonShapes: windowsJsonShapes,
  jsonKind: windowsJsonKind,
  dump: { json: windowsEventJson, xml: windowsEventXml },
} satisfies EventFamily;
