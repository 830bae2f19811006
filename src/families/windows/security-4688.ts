import type { RawEvent } from '../../sources/source.js';
import { basenameWindows, hexToDecimal, integrityFromMandatoryLabel, present } from '../../cim/values.js';
import type { Mapping } from '../../cim/mapping.js';

/**
 * The full command line. 4688 often logs it without the path (`netsh interface ...`); then the
 * executable's path replaces the first token, so `process` looks like Sysmon's.
 */
function processCommandLine(raw: RawEvent): string | undefined {
  const commandLine = present(raw.data.CommandLine);
  const path = present(raw.data.NewProcessName);
  if (commandLine === undefined) return path;
  if (path === undefined) return commandLine;
  const tokenEnd = firstTokenEnd(commandLine);
  if (commandLine.lastIndexOf('\\', tokenEnd - 1) >= 0) return commandLine;
  // a first token glued to what follows (`"netsh"interface`) is kept: joining the path to it would
  // make text that is in no raw field, which the prefilter could not find (see `joins` below)
  if (tokenEnd < commandLine.length && !' \t'.includes(commandLine[tokenEnd])) return commandLine;
  const quoted = path.includes(' ') ? `"${path}"` : path;
  return quoted + commandLine.slice(tokenEnd);
}

/** Index just past the first token: a quoted string, or up to the first space. */
function firstTokenEnd(commandLine: string): number {
  if (commandLine.charCodeAt(0) === 34 /* " */) {
    const close = commandLine.indexOf('"', 1);
    return close < 0 ? commandLine.length : close + 1;
  }
  const space = commandLine.indexOf(' ');
  return space < 0 ? commandLine.length : space;
}

/** `DOMAIN\user` from the target account, or the subject's when the target is `-`. */
export function targetUser(raw: RawEvent): string | undefined {
  const target = present(raw.data.TargetUserName);
  if (target !== undefined) return qualified(present(raw.data.TargetDomainName), target);
  return subjectUser(raw);
}

/** `DOMAIN\user` of the subject: the account that did what the event records */
export function subjectUser(raw: RawEvent): string | undefined {
  const subject = present(raw.data.SubjectUserName);
  return subject === undefined ? undefined : qualified(present(raw.data.SubjectDomainName), subject);
}

export function qualified(domain: string | undefined, name: string): string {
  return domain === undefined ? name : `${domain}\\${name}`;
}

/** Security EID 4688 (process creation). */
export const security4688 = {
  dataset: 'Endpoint.Processes',
  family: 'security',
  events: ['4688'],
  fields: {
    action: { value: 'allowed' },
    dest: { system: 'Computer' },
    host: { system: 'Computer' },
    vendor_product: { value: 'Microsoft Windows' },
    // `DOMAIN\user`: the backslash is not in the record, the names on either side are
    user: { piecesOf: ['TargetDomainName', 'TargetUserName', 'SubjectDomainName', 'SubjectUserName'], inserts: '\\', derive: targetUser },
    user_id: 'SubjectUserSid',
    // the path (quoted when it holds a space), then the command line from the space after its first token
    process: { piecesOf: ['NewProcessName', 'CommandLine'], joins: ' \t', inserts: '"', derive: processCommandLine },
    process_path: 'NewProcessName',
    process_name: { partOf: 'NewProcessName', via: basenameWindows },
    process_exec: { partOf: 'NewProcessName', via: basenameWindows },
    process_id: { from: 'NewProcessId', via: hexToDecimal },
    process_integrity_level: { from: 'MandatoryLabel', via: integrityFromMandatoryLabel },
    parent_process_path: 'ParentProcessName',
    parent_process_name: { partOf: 'ParentProcessName', via: basenameWindows },
    parent_process_exec: { partOf: 'ParentProcessName', via: basenameWindows },
    parent_process_id: { from: 'ProcessId', via: hexToDecimal },
  },
} as const satisfies Mapping<'Endpoint.Processes'>;
