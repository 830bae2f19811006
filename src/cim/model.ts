import type { RecordLocation } from '../diagnostics/skip.js';
import type { RawEvent } from '../sources/source.js';

/**
 * The CIM data models (and the raw Sysmon dataset used by `sysmon`-macro searches) with every field
 * some mapping produces. A detection that names a field missing here fails to load: fail closed.
 */
export const datasetFields = {
  'Endpoint.Processes': [
    'action', 'dest', 'original_file_name', 'parent_process', 'parent_process_exec', 'parent_process_guid',
    'parent_process_id', 'parent_process_name', 'parent_process_path', 'process', 'process_exec',
    'process_guid', 'process_hash', 'process_id', 'process_integrity_level', 'process_name', 'process_path',
    'process_current_directory', 'user', 'user_id', 'vendor_product', 'host',
  ],
  'Endpoint.Registry': [
    'action', 'dest', 'process_guid', 'process_id', 'process_name', 'process_path', 'registry_hive',
    'registry_key_name', 'registry_path', 'registry_value_data', 'registry_value_name', 'registry_value_type',
    'user', 'vendor_product', 'host',
  ],
  'Endpoint.Filesystem': [
    'action', 'dest', 'file_create_time', 'file_hash', 'file_name', 'file_path', 'process_guid', 'process_id',
    'process_name', 'process_path', 'user', 'vendor_product', 'host',
  ],
  'Network_Resolution.DNS': [
    'answer', 'answer_count', 'message_type', 'query', 'query_count', 'record_type', 'reply_code', 'reply_code_id',
    'src', 'vendor_product', 'process_path', 'process_name', 'process_guid', 'process_id', 'dest', 'user', 'host',
  ],
  'Network_Traffic.All_Traffic': [
    'action', 'app', 'dest', 'dest_ip', 'dest_port', 'direction', 'dvc', 'protocol', 'protocol_version',
    'src', 'src_ip', 'src_port', 'transport', 'user', 'vendor_product', 'process_path', 'process_name',
    'process_guid', 'process_id', 'host',
  ],
  /**
   * Logons (Security 4624, RemoteConnectionManager 1149). `src` is the address the logon came from;
   * `Logon_Type` is not a CIM field but the Splunk Add-on for Windows' name for 4624's LogonType,
   * which ESCU searches filter on (`Logon_Type=10`).
   */
  'Authentication.Authentication': [
    'action', 'dest', 'signature', 'signature_id', 'src', 'user', 'user_id', 'Logon_Type', 'vendor_product', 'host',
  ],
  /** every Sysmon event (Windows and Linux) by its raw field names, plus derived image-load fields */
  sysmon: [
    'Computer', 'EventID', 'EventCode', 'Channel', 'Provider', 'EventRecordID', 'UtcTime', 'RuleName', 'ProcessGuid', 'ProcessId',
    'Image', 'ImageLoaded', 'FileVersion', 'Description', 'Product', 'Company', 'OriginalFileName', 'CommandLine',
    'CurrentDirectory', 'User', 'LogonGuid', 'LogonId', 'TerminalSessionId', 'IntegrityLevel', 'Hashes',
    'ParentProcessGuid', 'ParentProcessId', 'ParentImage', 'ParentCommandLine', 'ParentUser', 'Signed', 'Signature',
    'SignatureStatus', 'QueryName', 'QueryStatus', 'QueryResults', 'Protocol', 'Initiated', 'SourceIsIpv6', 'SourceIp',
    'SourceHostname', 'SourcePort', 'SourcePortName', 'DestinationIsIpv6', 'DestinationIp', 'DestinationHostname',
    'DestinationPort', 'DestinationPortName', 'TargetFilename', 'TargetObject', 'Details',
    'CreationUtcTime', 'PreviousCreationUtcTime', 'Contents', 'IsExecutable', 'Archived', 'State', 'Version',
    'SchemaVersion', 'Configuration', 'ConfigurationFileHash', 'SourceProcessGuid', 'SourceProcessId', 'SourceImage',
    'TargetProcessGuid', 'TargetProcessId', 'TargetImage', 'NewThreadId', 'StartAddress', 'StartModule',
    'StartFunction', 'SourceUser', 'TargetUser', 'SourceThreadId', 'GrantedAccess', 'CallTrace', 'Device',
    'EventType', 'NewName', 'PipeName', 'Operation', 'EventNamespace', 'Name', 'Query', 'Type', 'Destination',
    'Consumer', 'Filter', 'Session', 'ClientInfo', 'ID',
    'dest', 'loaded_file', 'loaded_file_path', 'process_exec', 'process_guid', 'process_hash', 'process_id',
    'process_name', 'process_path', 'service_dll_signature_exists', 'service_dll_signature_verified', 'signature',
    'signature_id', 'user_id', 'vendor_product', 'host',
  ],
} as const satisfies Record<string, readonly string[]>;

export type DatasetName = keyof typeof datasetFields;
export type FieldOf<D extends DatasetName> = (typeof datasetFields)[D][number];

export const datasetNames = Object.keys(datasetFields) as DatasetName[];

export type FieldValue = string | string[];

/** One event of one dataset, fields by their (unprefixed) CIM names. */
export interface CimEvent {
  dataset: DatasetName;
  /** event time, epoch seconds (float); NaN when the event carries no usable time */
  time: number;
  fields: Record<string, FieldValue>;
  location: RecordLocation;
  /** the record it was normalized from (its envelope names the record id, event code, channel for evidence) */
  raw?: RawEvent;
}

export function isDatasetField(dataset: DatasetName, field: string): boolean {
  return (datasetFields[dataset] as readonly string[]).includes(field);
}
