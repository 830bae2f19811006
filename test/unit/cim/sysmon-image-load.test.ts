import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalize } from '../../../src/families/registry.js';
import { fieldsOf } from './pick.js';
import { linuxSysmon5, sysmon7 } from './raw-events.js';

test('Sysmon EID 7 yields only the raw sysmon dataset, with every BY field detection #5 groups on', () => {
  const events = normalize(sysmon7());
  assert.deepEqual(events.map((event) => event.dataset), ['sysmon']);
  const fields = events[0].fields;
  assert.deepEqual(
    {
      Computer: fields.Computer,
      ImageLoaded: fields.ImageLoaded,
      EventID: fields.EventID,
      loaded_file: fields.loaded_file,
      loaded_file_path: fields.loaded_file_path,
      process_exec: fields.process_exec,
      process_guid: fields.process_guid,
      process_hash: fields.process_hash,
      process_id: fields.process_id,
      process_name: fields.process_name,
      process_path: fields.process_path,
      service_dll_signature_exists: fields.service_dll_signature_exists,
      service_dll_signature_verified: fields.service_dll_signature_verified,
      signature_id: fields.signature_id,
      user_id: fields.user_id,
      vendor_product: fields.vendor_product,
      dest: fields.dest,
    },
    {
      Computer: 'ar-win-dc.attackrange.local',
      ImageLoaded: 'C:\\Users\\Administrator\\AppData\\Local\\Temp\\server.exe',
      EventID: '7',
      loaded_file: 'server.exe',
      loaded_file_path: 'C:\\Users\\Administrator\\AppData\\Local\\Temp\\server.exe',
      process_exec: 'server.exe',
      process_guid: '{8814F3F5-1C07-6500-9600-000000000E03}',
      process_hash: 'MD5=696CBE2CB6F7FAC5ED6262BCA51238BB,SHA256=43005D86607DC94C7D378AA1B8844947BAA03860652F2F2340266061AF12E524,IMPHASH=F34D5F2D4577ED6D9CEEC516C1F5A744',
      process_id: '4440',
      process_name: 'server.exe',
      process_path: 'C:\\Users\\Administrator\\AppData\\Local\\Temp\\server.exe',
      service_dll_signature_exists: 'false',
      service_dll_signature_verified: 'false',
      signature_id: '7',
      user_id: 'S-1-5-18',
      vendor_product: 'Microsoft Sysmon',
      dest: 'ar-win-dc.attackrange.local',
    },
  );
});

test('raw fields pass through by their Sysmon names, system fields are added, `-` values are absent', () => {
  const fields = fieldsOf(normalize(sysmon7()), 'sysmon');
  assert.equal(fields.SignatureStatus, 'Unavailable');
  assert.equal(fields.User, 'ATTACKRANGE\\Administrator');
  assert.equal(fields.Channel, 'Microsoft-Windows-Sysmon/Operational');
  assert.equal(fields.Provider, 'Microsoft-Windows-Sysmon');
  assert.equal(fields.EventRecordID, '45273');
  for (const absent of ['Signature', 'signature', 'FileVersion', 'OriginalFileName', 'RuleName']) {
    assert.ok(!(absent in fields), absent);
  }
});

test('service_dll_signature_verified is true only for SignatureStatus Valid', () => {
  const raw = sysmon7();
  raw.data.SignatureStatus = 'Valid';
  raw.data.Signed = 'true';
  raw.data.Signature = 'Microsoft Windows';
  const fields = fieldsOf(normalize(raw), 'sysmon');
  assert.equal(fields.service_dll_signature_verified, 'true');
  assert.equal(fields.service_dll_signature_exists, 'true');
  assert.equal(fields.signature, 'Microsoft Windows');
});

test('image-load fields only appear when their inputs do', () => {
  const fields = fieldsOf(normalize(linuxSysmon5('/usr/bin/ngrok')), 'sysmon');
  assert.ok(!('loaded_file' in fields));
  assert.ok(!('service_dll_signature_verified' in fields));
  assert.equal(fields.process_name, 'ngrok');
  assert.equal(fields.vendor_product, 'Sysmon for Linux');
});

test('every other Sysmon event (Linux EID 5) yields exactly one raw sysmon event', () => {
  const events = normalize(linuxSysmon5('(null)'));
  assert.deepEqual(events.map((event) => event.dataset), ['sysmon']);
  assert.ok(!('Image' in events[0].fields), '(null) is absent');
});
