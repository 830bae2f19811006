/**
 * The process that acted, as every Sysmon event names it (ProcessGuid, ProcessId, Image): one
 * block spread into each Sysmon table, so the tables cannot drift apart. `user` is not part of
 * it: the raw `sysmon` dataset keeps Sysmon's own `User` field instead.
 */
export function actingProcess(basename: (path: string) => string) {
  return {
    process_guid: 'ProcessGuid',
    process_id: 'ProcessId',
    process_path: 'Image',
    process_name: { partOf: 'Image', via: basename },
  } as const;
}
