import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalize } from '../../../src/families/registry.js';
import { dnsAnswers } from '../../../src/cim/values.js';
import { fieldsOf } from './pick.js';
import { sysmon22 } from './raw-events.js';

test('Sysmon EID 22 with no results (`-`) maps to DNS with no answer and answer_count 0', () => {
  const fields = fieldsOf(normalize(sysmon22()), 'Network_Resolution.DNS');
  assert.deepEqual(fields, {
    vendor_product: 'Microsoft Sysmon',
    dest: 'win-dc-299.attackrange.local',
    host: 'win-dc-299.attackrange.local',
    src: 'win-dc-299.attackrange.local',
    query: '50.220.65.3.spam.dnsbl.sorbs.net',
    query_count: '1',
    answer_count: '0',
    reply_code_id: '9003',
    reply_code: 'NXDomain',
    message_type: 'Response',
    process_path: 'C:\\Windows\\System32\\wermgr.exe',
    process_name: 'wermgr.exe',
    process_guid: '{3CFDEE80-2F7D-605B-F50A-00000000AE01}',
    process_id: '7172',
  });
});

test('QueryResults: CNAME `type:  5 ` prefixes stripped, ::ffff: kept, trailing ; ignored', () => {
  const fields = fieldsOf(
    normalize(sysmon22('type:  5 a-0001.a-afdentry.net.trafficmanager.net;type:  5 dual-a-0001.a-msedge.net;::ffff:204.79.197.200;13.107.21.200;', '0')),
    'Network_Resolution.DNS',
  );
  assert.deepEqual(fields.answer, [
    'a-0001.a-afdentry.net.trafficmanager.net',
    'dual-a-0001.a-msedge.net',
    '::ffff:204.79.197.200',
    '13.107.21.200',
  ]);
  assert.equal(fields.answer_count, '4');
  assert.equal(fields.reply_code_id, '0');
});

test('dnsAnswers keeps IPv6 answers and drops empty entries', () => {
  assert.deepEqual(dnsAnswers('fe80::8511:34e6:c256:c11;::ffff:172.18.39.6;'), ['fe80::8511:34e6:c256:c11', '::ffff:172.18.39.6']);
  assert.deepEqual(dnsAnswers('192.168.56.30;'), ['192.168.56.30']);
  assert.deepEqual(dnsAnswers(';;'), []);
  assert.deepEqual(dnsAnswers(''), []);
  assert.deepEqual(dnsAnswers(undefined), []);
});
