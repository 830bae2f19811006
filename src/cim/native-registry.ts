import type { RawEvent } from '../sources/source.js';
import { basenameWindows, present } from './values.js';

/**
 * Registry paths as the Windows kernel names them (`\REGISTRY\MACHINE\SYSTEM\ControlSet001\...`),
 * which Security 4657 and CrowdStrike write; Sysmon abbreviates them (`HKLM\System\...`).
 */
const hiveByNativeRoot: Record<string, string> = {
  MACHINE: 'HKEY_LOCAL_MACHINE',
  USER: 'HKEY_USERS',
};

/** `\REGISTRY\MACHINE\...` -> HKEY_LOCAL_MACHINE; another root (or none) has no CIM hive */
export function nativeHive(path: string): string | undefined {
  const prefix = '\\REGISTRY\\';
  if (path.slice(0, prefix.length).toUpperCase() !== prefix) return undefined;
  const end = path.indexOf('\\', prefix.length);
  return hiveByNativeRoot[path.slice(prefix.length, end < 0 ? undefined : end).toUpperCase()];
}

/** the key's path and the value's name joined as one path, as Sysmon's TargetObject names a value */
export function valuePath(keyField: string, valueField: string): (raw: RawEvent) => string | undefined {
  return (raw) => {
    const key = present(raw.data[keyField]);
    const value = present(raw.data[valueField]);
    return key === undefined ? undefined : value === undefined ? key : `${key}\\${value}`;
  };
}

/** the last component of a key's path: the key's own name */
export const keyName = basenameWindows;
