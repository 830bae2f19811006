import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalize } from '../../../src/families/registry.js';
import { fieldsOf } from './pick.js';
import { linuxSysmon1, sysmon1 } from './raw-events.js';

test('Sysmon EID 1 maps to Endpoint.Processes with every CIM field of the spec table', () => {
  const fields = fieldsOf(normalize(sysmon1()), 'Endpoint.Processes');
  assert.deepEqual(fields, {
    action: 'allowed',
    dest: 'win-dc-6764986.attackrange.local',
    host: 'win-dc-6764986.attackrange.local',
    vendor_product: 'Microsoft Sysmon',
    user: 'ATTACKRANGE\\Administrator',
    user_id: 'S-1-5-18',
    process: '"C:\\Windows\\system32\\cmd.exe" /c "reg save HKLM\\sam %%temp%%\\sam" ',
    process_path: 'C:\\Windows\\System32\\cmd.exe',
    process_name: 'cmd.exe',
    process_exec: 'cmd.exe',
    original_file_name: 'Cmd.Exe',
    process_id: '2296',
    process_guid: '{96128EA2-F212-5F7E-E400-000000007F01}',
    process_hash: 'MD5=F4F684066175B77E0C3A000549D2922C,SHA256=935C1861DF1F4018D698E8B65ABFA02D7E9037D8F68CA3C2065B6CA165D44AD2,IMPHASH=3062ED732D4B25D1C64F084DAC97D37A',
    process_integrity_level: 'high',
    process_current_directory: 'C:\\Users\\ADMINI~1\\AppData\\Local\\Temp\\',
    parent_process: '"powershell.exe" -noninteractive -encodedcommand WwBDAG8AbgBzAG8AbABlAF0A',
    parent_process_path: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
    parent_process_name: 'powershell.exe',
    parent_process_exec: 'powershell.exe',
    parent_process_id: '4624',
    parent_process_guid: '{96128EA2-F211-5F7E-DF00-000000007F01}',
  });
});

test('Sysmon EID 1 also yields the raw sysmon dataset event, with the same time and location', () => {
  const events = normalize(sysmon1());
  assert.deepEqual(events.map((event) => event.dataset).sort(), ['Endpoint.Processes', 'sysmon']);
  assert.equal(events[0].time, events[1].time);
  assert.deepEqual(events[0].location, { file: 'example.xml', line: 1 });
  const raw = fieldsOf(events, 'sysmon');
  assert.equal(raw.CommandLine, '"C:\\Windows\\system32\\cmd.exe" /c "reg save HKLM\\sam %%temp%%\\sam" ');
  assert.equal(raw.EventID, '1');
  assert.equal(raw.RuleName, undefined, 'RuleName `-` is absent');
});

test('Sysmon for Linux EID 1: basename after the last /, its own vendor_product, `-` fields absent', () => {
  const fields = fieldsOf(normalize(linuxSysmon1()), 'Endpoint.Processes');
  assert.equal(fields.process_name, 'ngrok');
  assert.equal(fields.process_exec, 'ngrok');
  assert.equal(fields.process_path, '/usr/local/bin/ngrok');
  assert.equal(fields.parent_process_name, 'bash');
  assert.equal(fields.vendor_product, 'Sysmon for Linux');
  assert.equal(fields.dest, 'ar-linux');
  assert.equal(fields.user, 'ubuntu');
  assert.equal(fields.user_id, '0');
  assert.equal(fields.process, 'ngrok tcp 22');
  assert.equal(fields.process_integrity_level, 'no level');
  assert.ok(!('original_file_name' in fields), 'OriginalFileName `-` is absent');
  assert.ok(!('process_hash' in fields), 'Hashes `-` is absent');
});

test('Sysmon for Linux unknown-process markers are absent, not a process_name', () => {
  for (const marker of ['(null)', '<unknown process>']) {
    const fields = fieldsOf(normalize(linuxSysmon1({ Image: marker })), 'Endpoint.Processes');
    assert.ok(!('process_path' in fields), marker);
    assert.ok(!('process_name' in fields), marker);
  }
});

test('a Linux image without any / is its own basename', () => {
  const fields = fieldsOf(normalize(linuxSysmon1({ Image: 'wdavdaemon' })), 'Endpoint.Processes');
  assert.equal(fields.process_name, 'wdavdaemon');
});
