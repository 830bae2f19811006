import type { RawEvent } from '../../sources/source.js';
import { basenameWindows, dnsAnswers, dnsRecordTypes, dnsReplyCode, multivalue } from '../../cim/values.js';
import { actingProcess } from './sysmon-acting-process.js';
import type { Mapping } from '../../cim/mapping.js';

/** Sysmon EID 22 (DnsQuery). */
export const sysmonDnsQuery = {
  dataset: 'Network_Resolution.DNS',
  family: 'sysmon',
  events: ['22'],
  fields: {
    vendor_product: { value: 'Microsoft Sysmon' },
    dest: { system: 'Computer' },
    host: { system: 'Computer' },
    src: { system: 'Computer' },
    query: 'QueryName',
    query_count: { value: '1' },
    answer: { partOf: 'QueryResults', via: (results: string) => multivalue(dnsAnswers(results)) },
    answer_count: (raw: RawEvent) => String(dnsAnswers(raw.data.QueryResults).length),
    reply_code_id: 'QueryStatus',
    reply_code: { from: 'QueryStatus', via: dnsReplyCode },
    record_type: (raw: RawEvent) => multivalue(dnsRecordTypes(raw.data.QueryResults)),
    // one event per completed lookup: the query together with its response
    message_type: { value: 'Response' },
    ...actingProcess(basenameWindows),
    user: 'User',
  },
} as const satisfies Mapping<'Network_Resolution.DNS'>;
