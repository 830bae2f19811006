import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalize } from '../../../src/families/registry.js';
import { fieldsOf } from './pick.js';
import { linuxSysmon3, sysmon3 } from './raw-events.js';

test('Sysmon EID 3 maps to Network_Traffic.All_Traffic', () => {
  const fields = fieldsOf(normalize(sysmon3()), 'Network_Traffic.All_Traffic');
  assert.deepEqual(fields, {
    action: 'allowed',
    vendor_product: 'Microsoft Sysmon',
    dvc: 'win-dc-ctus-attack-range-403.attackrange.local',
    host: 'win-dc-ctus-attack-range-403.attackrange.local',
    src: 'win-dc-ctus-attack-range-403.attackrange.local',
    src_ip: '10.0.1.14',
    src_port: '61722',
    dest: 'youssef5.genious.net',
    dest_ip: '41.77.117.236',
    dest_port: '21',
    direction: 'outbound',
    transport: 'tcp',
    protocol: 'ip',
    protocol_version: 'ipv4',
    app: 'C:\\Temp\\agent_tesla-deob.exe',
    process_path: 'C:\\Temp\\agent_tesla-deob.exe',
    process_name: 'agent_tesla-deob.exe',
    process_guid: '{6820D070-1F1B-6323-E113-000000007402}',
    process_id: '5728',
    user: 'ATTACKRANGE\\Administrator',
  });
});

test('src and dest fall back to the IP when the hostname is `-`; Linux basenames', () => {
  const fields = fieldsOf(normalize(linuxSysmon3()), 'Network_Traffic.All_Traffic');
  assert.equal(fields.src, '192.168.2.5');
  assert.equal(fields.dest, '104.46.127.225');
  assert.equal(fields.process_name, 'wdavdaemon');
  assert.equal(fields.vendor_product, 'Sysmon for Linux');
  assert.equal(fields.dvc, 'UBUNTU5');
});

test('direction is inbound unless Initiated is true; IPv6 addresses give protocol_version ipv6', () => {
  const raw = sysmon3();
  raw.data.Initiated = 'false';
  raw.data.DestinationIp = 'fe80::8511:34e6:c256:c11';
  const fields = fieldsOf(normalize(raw), 'Network_Traffic.All_Traffic');
  assert.equal(fields.direction, 'inbound');
  assert.equal(fields.protocol_version, 'ipv6');
});
