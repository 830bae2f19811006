import type { RawEvent } from '../../sources/source.js';
import { multivalue, present, splitList } from '../../cim/values.js';
import type { Mapping } from '../../cim/mapping.js';
import { crowdstrikeHost } from './host.js';

/** IP4Records then IP6Records, each `;`-separated. */
function answers(raw: RawEvent): string[] {
  const out: string[] = [];
  const ip4 = present(raw.data.IP4Records);
  if (ip4 !== undefined) splitList(ip4, out);
  const ip6 = present(raw.data.IP6Records);
  if (ip6 !== undefined) splitList(ip6, out);
  return out;
}

/** CrowdStrike FDR DnsRequest. */
export const crowdstrikeDnsRequest = {
  dataset: 'Network_Resolution.DNS',
  family: 'crowdstrike',
  events: ['DnsRequest'],
  fields: {
    vendor_product: { value: 'CrowdStrike Falcon' },
    src: crowdstrikeHost,
    dest: crowdstrikeHost,
    host: crowdstrikeHost,
    query: 'DomainName',
    query_count: { value: '1' },
    answer: { piecesOf: ['IP4Records', 'IP6Records'], derive: (raw: RawEvent) => multivalue(answers(raw)) },
    answer_count: (raw: RawEvent) => String(answers(raw).length),
    // links the request to its ProcessRollup2 (process_guid = TargetProcessId there)
    process_guid: 'ContextProcessId',
  },
} as const satisfies Mapping<'Network_Resolution.DNS'>;
