import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Analyzer } from '../../../src/engine/analyzer.js';
import { CapTally } from '../../../src/diagnostics/cap-tally.js';
import { correlationLimits } from '../../../src/engine/correlation-limits.js';
import { SigmaCorrelator } from '../../../src/engine/sigma-correlator.js';
import { loadContent } from '../../../src/rules/content.js';
import { bindSigmaCorrelations } from '../../../src/rules/sigma/bind-correlations.js';
import { parseSigmaFile } from '../../../src/rules/sigma/collection.js';
import { validateContent } from '../../../src/rules/validate.js';
import { baseRules, boundFrom, correlationFile, proc } from './correlation-helpers.js';

const temporal = `    type: temporal\n    rules:\n        - rule_a\n        - 00000000-0000-4000-8000-000000000002\n    group-by:\n        - Computer\n    timespan: 1m`;

/** `line:col: message` of what did not load (parse, then bind) */
function problems(text: string): string[] {
  const parsed = parseSigmaFile('corr.yml', text);
  const bound = bindSigmaCorrelations(parsed.correlations, parsed.detections);
  return [...parsed.notLoaded, ...bound.notLoaded].map((e) => `${e.line}:${e.col}: ${e.message}`);
}

describe('loading Sigma correlation files', () => {
  test('a multi-document file loads its correlation and base rules; a rule is referenced by name or by id', () => {
    const parsed = parseSigmaFile('corr.yml', correlationFile(temporal));
    assert.deepEqual(parsed.notLoaded, []);
    assert.deepEqual([...new Set(parsed.detections.map((d) => d.ruleName))], ['rule_a', 'rule_b', 'rule_c']);
    const [c] = boundFrom(correlationFile(temporal));
    assert.deepEqual(c.steps.map((s) => s.name), ['rule_a', 'rule_b']);
    assert.equal(c.windowSeconds, 60);
  });

  test('errors in a later document are located at their line in the file, not in the document', () => {
    const text = correlationFile(temporal).replace("Image|endswith: '\\c.exe'", "Image|nosuch: '\\c.exe'");
    const line = text.split('\n').findIndex((l) => l.includes('Image|nosuch')) + 1;
    assert.ok(line > 40, `line ${line}`);
    assert.deepEqual(problems(text).map((p) => p.split(':')[0]), [String(line)]);
  });

  test('located reasons: unknown base rule, unsupported type, missing condition, chained correlation, ungroupable field', () => {
    const unknown = problems(correlationFile(temporal.replace('- rule_a', '- rule_zzz')));
    assert.deepEqual(unknown, [`10:11: correlation.rules: no loaded Sigma rule has id or name 'rule_zzz'`]);
    assert.match(problems(correlationFile(temporal.replace('temporal', 'value_sum')))[0], /^8:11: correlation\.type: 'value_sum' is not supported/);
    assert.match(problems(correlationFile(temporal.replace('temporal', 'event_count')))[0], /^8:5: correlation\.condition: event_count needs a condition/);
    const chained = `${correlationFile(temporal.replace('- rule_a', '- inner'))}---\ntitle: Inner\nname: inner\ncorrelation:\n    type: event_count\n    rules: [rule_a]\n    group-by: [Computer]\n    timespan: 1m\n    condition: { gte: 2 }\n`;
    assert.deepEqual(problems(chained), [`10:11: correlation.rules: 'inner' is a correlation: chained correlations are not supported`]);
    assert.match(problems(correlationFile(temporal.replace('- Computer', '- QueryName')))[0], /^10:11: correlation\.rules: rule 'rule_a' cannot be grouped: Sysmon EventID 1 lacks QueryName/);
    assert.match(problems(correlationFile(`${temporal}\n    condition: rule_a and not rule_b`))[0], /^15:16: correlation\.condition: boolean conditions over rule names/);
    assert.match(problems(`action: global\ntitle: x\n---\n${baseRules}`)[0], /^1:9: action: Sigma 1 rule collections/);
  });

  test('aliases map one group-by name to a different field per rule', () => {
    const body = `${temporal.replace('- Computer', '- person')}\n    aliases:\n        person:\n            rule_a: User\n            rule_b: ParentUser`;
    const [c] = boundFrom(correlationFile(body));
    const analyzer = new Analyzer([], [c]);
    analyzer.observe(proc(0, 'a.exe', 'wks-1', 'mallory'));
    const b = proc(5, 'b.exe', 'wks-2', 'someone');
    analyzer.observe({ ...b, fields: { ...b.fields, ParentUser: 'MALLORY' } });
    assert.deepEqual(analyzer.findings().map((f) => Object.fromEntries(f.by)), [{ person: 'mallory' }]);
  });

  test('the scan content: base rules of a generate:false correlation report only through it; generate:true keeps them', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sigma-corr-'));
    try {
      writeFileSync(path.join(dir, 'corr.yml'), correlationFile(temporal));
      const quiet = await loadContent([dir], []);
      assert.deepEqual(quiet.notLoaded, []);
      assert.deepEqual(quiet.correlations.map((c) => c.id), ['00000000-0000-4000-8000-0000000000cc']);
      assert.deepEqual([...new Set(quiet.detections.map((d) => d.ruleName))], ['rule_c']);
      writeFileSync(path.join(dir, 'corr.yml'), correlationFile(`${temporal}\n    generate: true`));
      const loud = await loadContent([dir], []);
      assert.deepEqual([...new Set(loud.detections.map((d) => d.ruleName))].sort(), ['rule_a', 'rule_b', 'rule_c']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('validate lists a correlation that did not load with file:line:col and reason', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sigma-corr-'));
    try {
      writeFileSync(path.join(dir, 'corr.yml'), correlationFile(temporal.replace('- rule_a', '- rule_zzz')));
      const result = await validateContent([dir], []);
      assert.deepEqual(result.errors.map((e) => `${path.basename(e.file)}:${e.line}:${e.col}: ${e.message}`), [
        `corr.yml:10:11: correlation.rules: no loaded Sigma rule has id or name 'rule_zzz'`,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Sigma correlation state', () => {
  const bodies = {
    event_count: `    type: event_count\n    rules: [rule_a, rule_b]\n    group-by: [Computer]\n    timespan: 30s\n    condition: { gte: 3 }`,
    value_count: `    type: value_count\n    rules: [rule_a]\n    group-by: [Computer]\n    timespan: 30s\n    condition: { field: User, gte: 2 }`,
    temporal: `    type: temporal\n    rules: [rule_a, rule_b, rule_c]\n    group-by: [Computer, User]\n    timespan: 30s`,
    temporal_ordered: `    type: temporal_ordered\n    rules: [rule_a, rule_b]\n    group-by: [Computer]\n    timespan: 30s`,
  };
  const event = fc.record({ t: fc.integer({ min: 0, max: 90 }), image: fc.constantFrom('a.exe', 'b.exe', 'c.exe'), host: fc.constantFrom('h1', 'h2'), user: fc.constantFrom('u1', 'u2', 'u3') });

  for (const [type, body] of Object.entries(bodies)) {
    test(`${type}: partial states of any random split, shipped as JSON and merged, give the findings of one pass`, () => {
      const correlations = boundFrom(correlationFile(body));
      let fired = 0;
      fc.assert(
        fc.property(fc.array(event, { minLength: 8, maxLength: 40 }), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 40, maxLength: 40 }), (specs, parts) => {
          const events = specs.map((s) => proc(s.t, s.image, s.host, s.user));
          const one = new Analyzer([], correlations);
          events.forEach((e) => one.observe(e));
          const pieces = [0, 1, 2, 3].map(() => new Analyzer([], correlations));
          events.forEach((e, i) => pieces[parts[i]].observe(e));
          const merged = new Analyzer([], correlations);
          for (const p of pieces.reverse()) merged.merge(JSON.parse(JSON.stringify(p.partials())));
          assert.deepEqual(merged.findings(), one.findings());
          if (one.findings().length > 0) fired++;
        }),
        { numRuns: 60 },
      );
      // the property is about findings, not about empty states agreeing
      assert.ok(fired >= 10, `only ${fired} of 60 runs had a finding`);
    });
  }

  test('the per-correlation event cap refuses events and counts them in the CapTally', () => {
    const caps = new CapTally();
    const sigma = new SigmaCorrelator(boundFrom(correlationFile(bodies.event_count)), correlationLimits({ caps, expiry: 'cap' }), 3);
    for (let t = 0; t < 5; t++) sigma.observe(proc(t, 'a.exe'));
    assert.deepEqual(caps.overflows(), [{ state: 'correlation events', owner: 'Test Correlation', cause: 'cap', count: 2 }]);
    assert.deepEqual(sigma.findings().map((f) => f.count), [3]);
  });

  test('the group cap refuses new groups and counts them', () => {
    const caps = new CapTally();
    const sigma = new SigmaCorrelator(boundFrom(correlationFile(bodies.event_count)), correlationLimits({ maxKeys: 1, caps, expiry: 'cap' }));
    sigma.observe(proc(0, 'a.exe', 'h1'));
    sigma.observe(proc(0, 'a.exe', 'h2'));
    assert.deepEqual(caps.overflows().map((o) => [o.state, o.count]), [['correlation keys', 1]]);
  });

  test('watermark expiry: a group two timespans behind the newest event is judged, kept as findings and freed', () => {
    const sigma = new SigmaCorrelator(boundFrom(correlationFile(bodies.event_count)), correlationLimits({ expiry: 'watermark' }));
    for (const t of [0, 1, 2]) sigma.observe(proc(t, 'a.exe', 'h1'));
    sigma.observe(proc(100, 'a.exe', 'h2'));
    assert.deepEqual(sigma.partials().map((p) => p.key), [['h2']]);
    assert.deepEqual(sigma.findings().map((f) => [f.by[0][1], f.count]), [['h1', 3]]);
  });

  test('a stream reports a group\'s finding open while it changes, then closed (and frees the group) once it is two timespans behind', () => {
    const sigma = new SigmaCorrelator(boundFrom(correlationFile(bodies.event_count)), correlationLimits({ expiry: 'watermark', trackChanges: true }));
    for (const t of [0, 1, 2]) sigma.observe(proc(t, 'a.exe', 'h1'));
    assert.deepEqual(sigma.changes().map((c) => [c.status, c.finding.count]), [['open', 3]]);
    assert.deepEqual(sigma.changes(), []);
    sigma.observe(proc(100, 'a.exe', 'h2'));
    assert.deepEqual(sigma.changes().map((c) => [c.status, c.finding.by[0][1], c.finding.count]), [['closed', 'h1', 3]]);
    assert.deepEqual(sigma.partials().map((p) => p.key), [['h2']]);
  });
});
