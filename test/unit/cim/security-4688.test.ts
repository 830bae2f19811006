import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalize } from '../../../src/families/registry.js';
import { integrityFromMandatoryLabel } from '../../../src/cim/values.js';
import { fieldsOf } from './pick.js';
import { security4688 } from './raw-events.js';

test('Security 4688 (security_content example) maps to Endpoint.Processes', () => {
  const fields = fieldsOf(normalize(security4688()), 'Endpoint.Processes');
  assert.deepEqual(fields, {
    action: 'allowed',
    dest: 'ar-win-1',
    host: 'ar-win-1',
    vendor_product: 'Microsoft Windows',
    // TargetUserName is `-`, so the subject, qualified by its domain (spec: "with domain when given")
    user: 'WORKGROUP\\AR-WIN-1$',
    user_id: 'NT AUTHORITY\\SYSTEM',
    process: '"C:\\Program Files\\SplunkUniversalForwarder\\bin\\splunk-powershell.exe" --ps2',
    process_path: 'C:\\Program Files\\SplunkUniversalForwarder\\bin\\splunk-powershell.exe',
    process_name: 'splunk-powershell.exe',
    process_exec: 'splunk-powershell.exe',
    process_id: '3972',
    process_integrity_level: 'system',
    parent_process_path: 'C:\\Program Files\\SplunkUniversalForwarder\\bin\\splunkd.exe',
    parent_process_name: 'splunkd.exe',
    parent_process_exec: 'splunkd.exe',
    parent_process_id: '2860',
  });
  assert.equal(normalize(security4688()).length, 1, '4688 is not a Sysmon event: no raw sysmon dataset');
});

test('a command line whose first token has no \\ gets the executable path in its place', () => {
  const netsh = fieldsOf(
    normalize(security4688({ NewProcessName: 'C:\\Windows\\System32\\netsh.exe', CommandLine: 'netsh  interface portproxy add v4tov4 listenport=4444' })),
    'Endpoint.Processes',
  );
  assert.equal(netsh.process, 'C:\\Windows\\System32\\netsh.exe  interface portproxy add v4tov4 listenport=4444');

  const spaced = fieldsOf(
    normalize(security4688({ NewProcessName: 'C:\\Program Files\\ngrok\\ngrok.exe', CommandLine: '"ngrok.exe" http 80' })),
    'Endpoint.Processes',
  );
  assert.equal(spaced.process, '"C:\\Program Files\\ngrok\\ngrok.exe" http 80');
});

test('a quoted first token glued to what follows keeps the command line as logged (the join would be in no raw field)', () => {
  const glued = fieldsOf(
    normalize(security4688({ NewProcessName: 'C:\\Windows\\System32\\netsh.exe', CommandLine: '"netsh"interface portproxy reset' })),
    'Endpoint.Processes',
  );
  assert.equal(glued.process, '"netsh"interface portproxy reset');
});

test('no command line: process is the NewProcessName', () => {
  for (const commandLine of ['', '-']) {
    const fields = fieldsOf(normalize(security4688({ CommandLine: commandLine })), 'Endpoint.Processes');
    assert.equal(fields.process, 'C:\\Program Files\\SplunkUniversalForwarder\\bin\\splunk-powershell.exe');
  }
});

test('user is the target account when given, with its domain only when the domain is not `-`', () => {
  const withDomain = fieldsOf(normalize(security4688({ TargetUserName: 'alice', TargetDomainName: 'CORP' })), 'Endpoint.Processes');
  assert.equal(withDomain.user, 'CORP\\alice');
  const noDomain = fieldsOf(normalize(security4688({ TargetUserName: 'alice' })), 'Endpoint.Processes');
  assert.equal(noDomain.user, 'alice');
  const subjectOnly = fieldsOf(normalize(security4688({ SubjectDomainName: '-' })), 'Endpoint.Processes');
  assert.equal(subjectOnly.user, 'AR-WIN-1$');
});

test('decimal pids (already converted by an exporter) are kept', () => {
  const fields = fieldsOf(normalize(security4688({ NewProcessId: '3972', ProcessId: '0XB2C' })), 'Endpoint.Processes');
  assert.equal(fields.process_id, '3972');
  assert.equal(fields.parent_process_id, '2860');
});

test('MandatoryLabel in rendered and SID form maps to low/medium/high/system', () => {
  assert.equal(integrityFromMandatoryLabel('Mandatory Label\\High Mandatory Level'), 'high');
  assert.equal(integrityFromMandatoryLabel('Mandatory Label\\Medium Mandatory Level'), 'medium');
  assert.equal(integrityFromMandatoryLabel('Mandatory Label\\Low Mandatory Level'), 'low');
  assert.equal(integrityFromMandatoryLabel('S-1-16-16384'), 'system');
  assert.equal(integrityFromMandatoryLabel('S-1-16-12288'), 'high');
  assert.equal(integrityFromMandatoryLabel('S-1-16-8192'), 'medium');
});
