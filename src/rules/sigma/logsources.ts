import type { DatasetName } from '../../cim/model.js';
import type { Expr } from '../search-plan.js';

/**
 * One place a Sigma rule can run: the events of a dataset that came from one kind of telemetry,
 * and the Sigma field names that telemetry provides, each mapped to the dataset's field. A field
 * missing from `fields` is one this source cannot provide: a rule naming it does not run here
 * (fail closed), because a `not` over a field that is never there would match every event.
 */
export interface SigmaSource {
  /** short key, unique per source, part of each compiled detection's id */
  key: string;
  /** how reports name it (the ESCU data source name) */
  name: string;
  dataset: DatasetName;
  /** which events of the dataset this source's are */
  events: Expr;
  fields: Readonly<Record<string, string>>;
  /** Sigma fields the findings group by, when the source has them (see docs/sigma.md) */
  groupBy: readonly string[];
}

const eq = (field: string, pattern: string): Expr => ({ kind: 'compare', field, op: '=', pattern });
const all = (...terms: Expr[]): Expr => ({ kind: 'and', terms });
const anyOf = (field: string, patterns: string[]): Expr => (patterns.length === 1 ? eq(field, patterns[0]) : { kind: 'in', field, patterns });

/** Sigma field names of each Sysmon event, as Sysmon writes them (the raw `sysmon` dataset passes them through). */
const sysmonCommon = ['EventID', 'RuleName', 'UtcTime'];
const processFields = [
  'ProcessGuid', 'ProcessId', 'Image', 'FileVersion', 'Description', 'Product', 'Company', 'OriginalFileName', 'CommandLine',
  'CurrentDirectory', 'User', 'LogonGuid', 'LogonId', 'TerminalSessionId', 'IntegrityLevel', 'Hashes', 'ParentProcessGuid',
  'ParentProcessId', 'ParentImage', 'ParentCommandLine', 'ParentUser',
];
const networkFields = [
  'ProcessGuid', 'ProcessId', 'Image', 'User', 'Protocol', 'Initiated', 'SourceIsIpv6', 'SourceIp', 'SourceHostname', 'SourcePort',
  'SourcePortName', 'DestinationIsIpv6', 'DestinationIp', 'DestinationHostname', 'DestinationPort', 'DestinationPortName',
];
const imageLoadFields = [
  'ProcessGuid', 'ProcessId', 'Image', 'ImageLoaded', 'FileVersion', 'Description', 'Product', 'Company', 'OriginalFileName', 'Hashes',
  'Signed', 'Signature', 'SignatureStatus', 'User',
];
const dnsFields = ['ProcessGuid', 'ProcessId', 'QueryName', 'QueryStatus', 'QueryResults', 'Image', 'User'];
const fileFields = ['ProcessGuid', 'ProcessId', 'Image', 'TargetFilename', 'CreationUtcTime', 'User'];
const registryFields = ['EventType', 'ProcessGuid', 'ProcessId', 'Image', 'TargetObject', 'Details', 'NewName', 'User'];
const accessFields = [
  'SourceProcessGUID', 'SourceProcessId', 'SourceThreadId', 'SourceImage', 'TargetProcessGUID', 'TargetProcessId', 'TargetImage',
  'GrantedAccess', 'CallTrace', 'SourceUser', 'TargetUser',
];
const pipeFields = ['EventType', 'ProcessGuid', 'ProcessId', 'PipeName', 'Image', 'User'];
const driverFields = ['ImageLoaded', 'Hashes', 'Signed', 'Signature', 'SignatureStatus'];
const remoteThreadFields = [
  'SourceProcessGuid', 'SourceProcessId', 'SourceImage', 'TargetProcessGuid', 'TargetProcessId', 'TargetImage', 'NewThreadId',
  'StartAddress', 'StartModule', 'StartFunction', 'SourceUser', 'TargetUser',
];

const identity = (names: string[]) => Object.fromEntries([...sysmonCommon, ...names].map((n) => [n, n]));

function sysmon(platform: 'windows' | 'linux', eventIds: string[], names: string[], groupBy: string[]): SigmaSource {
  const windows = platform === 'windows';
  return {
    key: `${windows ? 'sysmon' : 'linux-sysmon'}-${eventIds.join('-')}`,
    name: `${windows ? 'Sysmon' : 'Sysmon for Linux'} EventID ${eventIds.join('/')}`,
    dataset: 'sysmon',
    events: all(eq('vendor_product', windows ? 'Microsoft Sysmon' : 'Sysmon for Linux'), anyOf('EventID', eventIds)),
    fields: identity(names),
    groupBy: ['dest', ...groupBy],
  };
}

const processGroup = ['User', 'ParentImage', 'Image', 'CommandLine'];

/** The Sigma process_creation fields every Endpoint.Processes table gives, by the CIM field holding each. */
const cimProcessFields = {
  Image: 'process_path',
  CommandLine: 'process',
  User: 'user',
  IntegrityLevel: 'process_integrity_level',
  ProcessId: 'process_id',
  ParentProcessId: 'parent_process_id',
};

/** Security 4688 through its Endpoint.Processes table (pySigma's windows audit mapping, as far as our CIM fields go). */
const security4688: SigmaSource = {
  key: 'security-4688',
  name: 'Windows Event Log Security 4688',
  dataset: 'Endpoint.Processes',
  events: eq('vendor_product', 'Microsoft Windows'),
  fields: { ...cimProcessFields, ParentImage: 'parent_process_path' },
  groupBy: ['dest', ...processGroup],
};

const crowdstrikeProcess: SigmaSource = {
  key: 'crowdstrike-processrollup2',
  name: 'CrowdStrike ProcessRollup2',
  dataset: 'Endpoint.Processes',
  events: eq('vendor_product', 'CrowdStrike Falcon'),
  fields: { ...cimProcessFields, OriginalFileName: 'original_file_name' },
  groupBy: ['dest', ...processGroup],
};

const crowdstrikeDns: SigmaSource = {
  key: 'crowdstrike-dnsrequest',
  name: 'CrowdStrike DnsRequest',
  dataset: 'Network_Resolution.DNS',
  events: eq('vendor_product', 'CrowdStrike Falcon'),
  fields: { QueryName: 'query' },
  groupBy: ['dest', 'Image', 'QueryName'],
};

/**
 * Where each logsource runs, keyed `product/category` (like pySigma's Sysmon and Windows
 * pipelines). The five categories of the issue come first; the other Sysmon categories cost one
 * line each because the raw `sysmon` dataset carries every Sysmon field.
 */
export const sigmaRoutes: Readonly<Record<string, readonly SigmaSource[]>> = {
  'windows/process_creation': [sysmon('windows', ['1'], processFields, processGroup), security4688, crowdstrikeProcess],
  'linux/process_creation': [sysmon('linux', ['1'], processFields, processGroup)],
  'windows/network_connection': [sysmon('windows', ['3'], networkFields, ['User', 'Image', 'DestinationIp', 'DestinationPort'])],
  'windows/dns_query': [sysmon('windows', ['22'], dnsFields, ['Image', 'QueryName']), crowdstrikeDns],
  'windows/image_load': [sysmon('windows', ['7'], imageLoadFields, ['Image', 'ImageLoaded'])],
  'linux/network_connection': [sysmon('linux', ['3'], networkFields, ['User', 'Image', 'DestinationIp', 'DestinationPort'])],
  'linux/file_event': [sysmon('linux', ['11'], fileFields, ['Image', 'TargetFilename'])],
  'windows/file_event': [sysmon('windows', ['11'], fileFields, ['Image', 'TargetFilename'])],
  'windows/file_delete': [sysmon('windows', ['23', '26'], fileFields, ['Image', 'TargetFilename'])],
  'windows/registry_set': [sysmon('windows', ['13'], registryFields, ['Image', 'TargetObject'])],
  'windows/registry_add': [sysmon('windows', ['12'], registryFields, ['Image', 'TargetObject'])],
  'windows/registry_delete': [sysmon('windows', ['12'], registryFields, ['Image', 'TargetObject'])],
  'windows/registry_event': [sysmon('windows', ['12', '13', '14'], registryFields, ['Image', 'TargetObject'])],
  'windows/process_access': [sysmon('windows', ['10'], accessFields, ['SourceImage', 'TargetImage'])],
  'windows/create_remote_thread': [sysmon('windows', ['8'], remoteThreadFields, ['SourceImage', 'TargetImage'])],
  'windows/pipe_created': [sysmon('windows', ['17', '18'], pipeFields, ['Image', 'PipeName'])],
  'windows/driver_load': [sysmon('windows', ['6'], driverFields, ['ImageLoaded'])],
};

/** The routes of a rule's logsource, or why there are none. */
export function routeOf(logsource: { product?: string; category?: string; service?: string }): readonly SigmaSource[] | string {
  const { product, category, service } = logsource;
  if (service !== undefined && category === undefined) {
    return `logsource service '${service}' is not routed (supported: ${Object.keys(sigmaRoutes).join(', ')})`;
  }
  const route = sigmaRoutes[`${product ?? ''}/${category ?? ''}`];
  return route ?? `logsource product '${product ?? '(none)'}' category '${category ?? '(none)'}' is not routed (supported: ${Object.keys(sigmaRoutes).join(', ')})`;
}

const sourcesByKey = new Map(Object.values(sigmaRoutes).flatMap((route) => route.map((s) => [s.key, s] as const)));

/** The source a compiled Sigma detection runs on (its id is `<rule id>@<source key>`). */
export function sourceOfDetection(d: { id: string; ruleId?: string }): SigmaSource | undefined {
  if (d.ruleId === undefined || !d.id.startsWith(`${d.ruleId}@`)) return undefined;
  return sourcesByKey.get(d.id.slice(d.ruleId.length + 1));
}

/** Sigma field names of the host an event came from: every source gives it, as `dest` */
const hostFields = new Set(['computer', 'computername', 'hostname', 'host', 'dest', 'dvc']);

/** The event field holding a Sigma field on this source, or undefined when the source lacks it. */
export function eventFieldOf(source: SigmaSource, field: string): string | undefined {
  return source.fields[field] ?? (hostFields.has(field.toLowerCase()) ? 'dest' : undefined);
}
