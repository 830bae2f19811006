import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { sharedData, sharedDataMissing } from '../../helpers/paths.js';
import { jsonLines, runCli } from './run-cli.js';

interface EvidenceItem { source: string; record?: number; line?: number; time?: string; event_code?: string; channel?: string }
/** a Windows-shaped event dumps as evtx_dump JSON; a CrowdStrike one as its own flat FDR object */
type DumpedEvent = { Event: { System: Record<string, unknown> } } | Record<string, unknown>;
type WindowsDump = { Event: { System: Record<string, unknown> } };

/** every finding's evidence, pivoted with `dump`, prints exactly one event: the one the evidence names */
function assertEvidencePivots(scanArgs: string[]): number {
  const scan = runCli(['scan', '-q', '-f', 'jsonl', ...scanArgs]);
  const findings = jsonLines(scan.stdout).filter((r) => r.kind !== 'risk_incident');
  assert.ok(findings.length > 0, 'the scan must find something, or this test proves nothing');
  let pivots = 0;
  for (const f of findings) {
    const evidence = f.evidence as EvidenceItem[];
    assert.ok(evidence.length > 0 && (f.evidence_count as number) >= evidence.length, `${f.search_name} has evidence`);
    for (const e of evidence) {
      const where = e.line !== undefined ? ['--line', String(e.line)] : ['--record', String(e.record)];
      const dumped = jsonLines(runCli(['dump', '-q', e.source, ...where, '--event-id', String(e.event_code)]).stdout) as unknown as DumpedEvent[];
      assert.equal(dumped.length, 1, `dump ${e.source} ${where.join(' ')} prints the one event`);
      const event = dumped[0];
      if (!('Event' in event)) {
        assert.equal(event.event_simpleName, e.event_code, 'a CrowdStrike event prints as its own flat object');
        pivots++;
        continue;
      }
      const system = (event as WindowsDump).Event.System;
      assert.equal(String(system.EventID), e.event_code);
      if (e.record !== undefined) assert.equal(Number(system.EventRecordID), e.record);
      if (e.channel !== undefined) assert.equal(system.Channel, e.channel);
      pivots++;
    }
  }
  return pivots;
}

test('every finding over examples/ names events that `dump --line/--record --event-id` prints, one each', () => {
  assert.ok(assertEvidencePivots(['examples/']) > 20);
});

test('EVTX evidence names the EventRecordID that `dump --record` finds in the file', { skip: sharedDataMissing }, () => {
  assert.ok(assertEvidencePivots([path.join(sharedData, 'tunnel')]) > 0);
});

test('dump filters by time range and by an SPL --where over raw field names; a bad --where or --from after --to is a usage error', () => {
  const byTime = jsonLines(runCli(['dump', '-q', 'examples/', '--event-id', '4688', '--from', '2026-03-09T10:47:11Z', '--to', '2026-03-09T10:47:13Z']).stdout) as unknown as WindowsDump[];
  assert.deepEqual(byTime.map((e) => e.Event.System.EventRecordID), [50882]);
  const byWhere = jsonLines(runCli(['dump', '-q', 'examples/windows-sysmon.xml', '--where', 'Image="*\\\\ngrok.exe" EventID=1']).stdout);
  assert.ok(byWhere.length >= 2);
  for (const e of byWhere) assert.match(JSON.stringify(e), /ngrok\.exe/);
  const bad = runCli(['dump', 'examples/', '--where', 'Image=']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--where: col 6/);
  const backwards = runCli(['dump', 'examples/', '--from', '2026-03-10T00:00:00Z', '--to', '2026-03-09T00:00:00Z']);
  assert.equal(backwards.status, 2);
  assert.equal(backwards.stdout, '');
});
