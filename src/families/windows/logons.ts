import { present } from '../../cim/values.js';
import type { Mapping } from '../../cim/mapping.js';
import type { RawEvent } from '../../sources/source.js';
import { qualified, targetUser } from './security-4688.js';

/** What every Windows logon table writes the same way: the host it was logged on, the vendor. */
const logonHost = {
  action: { value: 'success' },
  dest: { system: 'Computer' },
  host: { system: 'Computer' },
  vendor_product: { value: 'Microsoft Windows' },
} as const;

/**
 * Security EID 4624 (an account was successfully logged on). `src` is IpAddress, the address the
 * logon came from (`-` for local logons: absent); `Logon_Type` is LogonType as written (10 =
 * RemoteInteractive, an RDP session).
 */
export const security4624 = {
  dataset: 'Authentication.Authentication',
  family: 'security',
  events: ['4624'],
  fields: {
    ...logonHost,
    signature_id: { value: '4624' },
    signature: { value: 'An account was successfully logged on' },
    src: 'IpAddress',
    user: { piecesOf: ['TargetDomainName', 'TargetUserName', 'SubjectDomainName', 'SubjectUserName'], inserts: '\\', derive: targetUser },
    user_id: 'TargetUserSid',
    Logon_Type: 'LogonType',
  },
} as const satisfies Mapping<'Authentication.Authentication'>;

/** `DOMAIN\user` from 1149's Param2 (domain, often empty) and Param1 (user name) */
function rdpUser(raw: RawEvent): string | undefined {
  const name = present(raw.data.Param1);
  return name === undefined ? undefined : qualified(present(raw.data.Param2), name);
}

/**
 * TerminalServices-RemoteConnectionManager EID 1149 ("Remote Desktop Services: User authentication
 * succeeded"): a client passed network-level authentication. Its UserData (EventXML) has Param1
 * user, Param2 domain, Param3 the client's address.
 */
export const rdpAuthentication1149 = {
  dataset: 'Authentication.Authentication',
  family: 'rdp-connection-manager',
  events: ['1149'],
  fields: {
    ...logonHost,
    signature_id: { value: '1149' },
    signature: { value: 'Remote Desktop Services: User authentication succeeded' },
    src: 'Param3',
    user: { piecesOf: ['Param2', 'Param1'], inserts: '\\', derive: rdpUser },
  },
} as const satisfies Mapping<'Authentication.Authentication'>;
