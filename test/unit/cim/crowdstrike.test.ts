import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalize } from '../../../src/families/registry.js';
import { integrityFromRid } from '../../../src/cim/values.js';
import { fieldsOf } from './pick.js';
import { dnsRequest, processRollup2 } from './raw-events.js';

test('CrowdStrike ProcessRollup2 (security_content example) maps to Endpoint.Processes', () => {
  const events = normalize(processRollup2());
  assert.equal(events.length, 1);
  assert.equal(events[0].time, 1713805173.418);
  assert.deepEqual(events[0].fields, {
    action: 'allowed',
    dest: '168a90e125d443beb2a4e2914985084d',
    host: '168a90e125d443beb2a4e2914985084d',
    vendor_product: 'CrowdStrike Falcon',
    user: 'S-1-5-21-586445407-708991241-1829972403-500',
    user_id: 'S-1-5-21-586445407-708991241-1829972403-500',
    process: '"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe" ',
    process_path: '\\Device\\HarddiskVolume1\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
    process_name: 'powershell.exe',
    process_exec: 'powershell.exe',
    process_id: '5012',
    process_guid: '5642133882',
    process_hash: 'ba4038fd20e474c047be8aad5bfacdb1bfc1ddbe12f803f473b7918d8d819436',
    process_integrity_level: 'high',
    parent_process_name: 'explorer.exe',
    parent_process_exec: 'explorer.exe',
    parent_process_id: '5459598860',
  });
});

test('ProcessRollup2: ComputerName wins for dest, UserName for user, OriginalFilename is mapped', () => {
  const fields = fieldsOf(
    normalize(processRollup2({ ComputerName: 'WKS-01', aid_computer_name: 'other', UserName: 'alice', OriginalFilename: 'ngrok.exe' })),
    'Endpoint.Processes',
  );
  assert.equal(fields.dest, 'WKS-01');
  assert.equal(fields.user, 'alice');
  assert.equal(fields.original_file_name, 'ngrok.exe');
  const byAidName = fieldsOf(normalize(processRollup2({ aid_computer_name: 'WKS-02' })), 'Endpoint.Processes');
  assert.equal(byAidName.dest, 'WKS-02');
});

test('SyntheticProcessRollup2 maps like ProcessRollup2; Unix image paths give a / basename', () => {
  const fields = fieldsOf(
    normalize(processRollup2({ event_simpleName: 'SyntheticProcessRollup2', ImageFileName: '/usr/local/bin/cloudflared' })),
    'Endpoint.Processes',
  );
  assert.equal(fields.process_name, 'cloudflared');
});

test('CrowdStrike IntegrityLevel RIDs, decimal or hex, map to low/medium/high/system', () => {
  assert.equal(integrityFromRid('4096'), 'low');
  assert.equal(integrityFromRid('8192'), 'medium');
  assert.equal(integrityFromRid('12288'), 'high');
  assert.equal(integrityFromRid('16384'), 'system');
  assert.equal(integrityFromRid('0x3000'), 'high');
  assert.equal(integrityFromRid('0x4000'), 'system');
  assert.equal(integrityFromRid('0x1000'), 'low');
  assert.equal(integrityFromRid('12345'), '12345', 'unknown RIDs are kept');
});

test('CrowdStrike DnsRequest maps to Network_Resolution.DNS with IP4/IP6 answers', () => {
  const fields = fieldsOf(
    normalize(dnsRequest({ ComputerName: 'WKS-01', IP4Records: '3.125.102.39;18.192.31.165;', IP6Records: '2a05:d014::1;' })),
    'Network_Resolution.DNS',
  );
  assert.deepEqual(fields, {
    vendor_product: 'CrowdStrike Falcon',
    src: 'WKS-01',
    dest: 'WKS-01',
    host: 'WKS-01',
    query: 'abcd-1234.ngrok-free.app',
    query_count: '1',
    answer: ['3.125.102.39', '18.192.31.165', '2a05:d014::1'],
    answer_count: '3',
    process_guid: '5642133882',
  });
});

test('DnsRequest without records: src falls back to aid, no answer, answer_count 0', () => {
  const fields = fieldsOf(normalize(dnsRequest()), 'Network_Resolution.DNS');
  assert.equal(fields.src, '168a90e125d443beb2a4e2914985084d');
  assert.ok(!('answer' in fields));
  assert.equal(fields.answer_count, '0');
});
