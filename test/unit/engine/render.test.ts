import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Detector } from '../../../src/engine/detector.js';
import { ctime, renderCorrelationMessage, renderTemplate } from '../../../src/engine/finding.js';
import { renderFinding } from '../../../src/engine/render.js';
import { by, cimEvent, detectionWith } from '../../helpers/detections.js';

const risky = detectionWith(
  { by: by('dest', 'user', 'parent_process_name', 'process_name') },
  {
    risk: {
      message: 'A reverse proxy was identified spawning from $parent_process_name$ - $process_name$ on endpoint $dest$ by user $user$.',
      riskObjects: [
        { field: 'user', type: 'user', score: 20 },
        { field: 'dest', type: 'system', score: 20 },
      ],
      threatObjects: [{ field: 'process_name', type: 'process_name' }],
    },
  },
);

test('ctime renders epoch seconds as %Y-%m-%dT%H:%M:%S in UTC, dropping fractions', () => {
  assert.equal(ctime(1772446500.987), '2026-03-02T10:15:00');
  assert.equal(ctime(0), '1970-01-01T00:00:00');
  assert.equal(ctime(Number.NaN), '');
});

test('a rendered finding carries detection metadata, ctime columns, BY columns and the risk message', () => {
  const detector = new Detector([risky]);
  detector.observe(cimEvent({ dest: 'WIN1', user: 'CORP\\alice', parent_process_name: 'cmd.exe', process_name: 'ngrok.exe' }, 1772446500));
  const [record] = detector.findings().map(renderFinding);
  assert.equal(record.search_name, 'Test Detection');
  assert.equal(record.count, 1);
  assert.equal(record.firstTime, '2026-03-02T10:15:00');
  assert.equal(record.dest, 'WIN1');
  assert.equal(record.risk_message, 'A reverse proxy was identified spawning from cmd.exe - ngrok.exe on endpoint WIN1 by user CORP\\alice.');
  assert.deepEqual(record.risk_objects, [
    { risk_object: 'CORP\\alice', risk_object_type: 'user', risk_score: 20 },
    { risk_object: 'WIN1', risk_object_type: 'system', risk_score: 20 },
  ]);
  assert.deepEqual(record.threat_objects, [{ threat_object: 'ngrok.exe', threat_object_type: 'process_name' }]);
});

test('a null-filled risk object field raises no risk object', () => {
  const detector = new Detector([risky]);
  detector.observe(cimEvent({ dest: 'WIN1', process_name: 'ngrok.exe' }));
  const [record] = detector.findings().map(renderFinding);
  assert.equal(record.user, 'null');
  assert.deepEqual(record.risk_objects.map((o) => o.risk_object), ['WIN1']);
});

test('hunting detections produce findings but no risk objects', () => {
  const hunting = { ...risky, type: 'Hunting' as const };
  const detector = new Detector([hunting]);
  detector.observe(cimEvent({ dest: 'WIN1', user: 'bob' }));
  const [record] = detector.findings().map(renderFinding);
  assert.deepEqual(record.risk_objects, []);
});

test('template tokens without a value stay as written', () => {
  assert.equal(renderTemplate('on $dest$ via $process$', { dest: 'h1' }), 'on h1 via $process$');
});

test('a correlation message names no loopback address as where the tunnel went, and a segment whose field has no value drops out', () => {
  const template = 'Tunnel on $dest$: $process_name$[ ($process$)] opened a tunnel[ to $query$][ at $dest_ip$][ over port $dest_port$] within 5 minutes.$note$';
  const columns = { dest: 'pc01', process_name: 'plink.exe', process: 'plink.exe  -R 127.0.0.3:4444:127.0.0.2:3389', query: [], dest_ip: ['127.0.0.2', '::1'], dest_port: ['3389'], note: null };
  assert.equal(
    renderCorrelationMessage(template, columns),
    'Tunnel on pc01: plink.exe (plink.exe  -R 127.0.0.3:4444:127.0.0.2:3389) opened a tunnel over port 3389 within 5 minutes.',
  );
  assert.equal(
    renderCorrelationMessage(template, { ...columns, query: ['a.ngrok.io'], dest_ip: ['127.0.0.1', '3.134.73.173'] }),
    'Tunnel on pc01: plink.exe (plink.exe  -R 127.0.0.3:4444:127.0.0.2:3389) opened a tunnel to a.ngrok.io at 3.134.73.173 over port 3389 within 5 minutes.',
  );
  // Sysmon writes ::1 in full, and IPv4-mapped loopback is loopback too
  assert.equal(
    renderCorrelationMessage(template, { ...columns, dest_ip: ['0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost'] }),
    'Tunnel on pc01: plink.exe (plink.exe  -R 127.0.0.3:4444:127.0.0.2:3389) opened a tunnel over port 3389 within 5 minutes.',
  );
});
