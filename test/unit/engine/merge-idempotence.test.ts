import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Analyzer, type AnalyzerPartials } from '../../../src/engine/analyzer.js';
import { OriginLedger } from '../../../src/engine/origin-ledger.js';
import { renderFinding } from '../../../src/engine/render.js';
import type { CimEvent } from '../../../src/cim/model.js';
import { by, cimEvent, detectionWith } from '../../helpers/detections.js';

const DAY = 86_400;
const detections = [
  detectionWith({ by: by('dest', 'user'), aggregates: [
    { fn: 'count', as: 'count' },
    { fn: 'min', field: '_time', as: 'firstTime' },
    { fn: 'max', field: '_time', as: 'lastTime' },
    { fn: 'values', field: 'process_name', as: 'process_name' },
    { fn: 'dc', field: 'process_name', as: 'process_count' },
  ] }),
  // fillnull 0: a group lacking `user` merges with a literal "0" group once another event had `user`
  detectionWith({ by: by('dest', 'user'), missingBy: 'drop', fillnullZero: true }, { id: '00000000-0000-4000-8000-000000000002', name: 'Fillnull Detection' }),
];

const eventArb = fc.record({
  dest: fc.constantFrom('h1', 'h2', 'h3'),
  user: fc.option(fc.constantFrom('alice', 'bob', '0'), { nil: undefined }),
  process: fc.constantFrom('ngrok.exe', 'cloudflared.exe', 'devtunnel.exe'),
  time: fc.integer({ min: 0, max: 3 * DAY }),
});

function toCim(e: { dest: string; user?: string; process: string; time: number }): CimEvent {
  return cimEvent({ dest: e.dest, process_name: e.process, ...(e.user !== undefined && { user: e.user }) }, e.time);
}

/**
 * A run cut into batches (producer × sequence), each analysed alone, then delivered the way a
 * queue may deliver them: in any order, some twice, some lost on the first try and sent again.
 */
const deliveryArb = fc
  .record({
    events: fc.array(eventArb, { minLength: 1, maxLength: 60 }),
    cuts: fc.array(fc.nat(), { maxLength: 8 }),
    producers: fc.integer({ min: 1, max: 3 }),
    seed: fc.integer(),
  })
  .chain((run) => {
    const cutAt = [...new Set(run.cuts.map((c) => c % run.events.length))].sort((a, b) => a - b);
    const bounds = [0, ...cutAt.filter((c) => c > 0), run.events.length];
    const batches = bounds.slice(1).map((end, i) => run.events.slice(bounds[i], end));
    const indices = batches.map((_, i) => i);
    return fc.record({
      run: fc.constant(run),
      batches: fc.constant(batches),
      order: fc.shuffledSubarray(indices, { minLength: indices.length, maxLength: indices.length }),
      duplicates: fc.array(fc.constantFrom(...indices), { maxLength: 6 }),
      lostFirst: fc.subarray(indices),
    });
  });

for (const [name, windowed] of [['one window for the run', false], ['24 h windows', true]] as const) {
  test(`property (${name}): partials merged in any order, duplicated, lost and redelivered give the single-threaded findings`, () => {
    fc.assert(
      fc.property(deliveryArb, ({ run, batches, order, duplicates, lostFirst }) => {
        const options = windowed ? { windowSeconds: DAY } : {};
        const single = new Analyzer(detections, [], options);
        for (const e of run.events) single.observe(toCim(e));

        const partials: AnalyzerPartials[] = batches.map((batch, i) => {
          const worker = new Analyzer(detections, [], options);
          for (const e of batch) worker.observe(toCim(e));
          return worker.partials({ producer: `p${i % run.producers}`, sequence: Math.floor(i / run.producers) });
        });
        // a lost delivery is not merged; the producer sends it again after the others
        const lost = new Set(lostFirst);
        const delivery = [...order.filter((i) => !lost.has(i)), ...duplicates, ...lostFirst, ...duplicates];
        const merged = new Analyzer(detections, [], options);
        let applied = 0;
        for (const i of delivery) if (merged.merge(structuredClone(partials[i]))) applied++;

        assert.equal(applied, batches.length, 'each batch is applied exactly once');
        assert.deepEqual(merged.findings().map(renderFinding), single.findings().map(renderFinding));
      }),
      { numRuns: 150 },
    );
  });
}

test('the origin ledger keeps producers in bounded space: in-order sequences leave nothing above the floor', () => {
  const ledger = new OriginLedger();
  for (let s = 0; s < 10_000; s++) assert.equal(ledger.add({ producer: 'a', sequence: s }), true);
  assert.equal(ledger.add({ producer: 'a', sequence: 42 }), false);
  assert.equal(ledger.add({ producer: 'a', sequence: 10_001 }), true);
  assert.deepEqual(ledger.toData(), { producers: [['a', 10_000, [10_001]]] });
  const restored = OriginLedger.fromData(JSON.parse(JSON.stringify(ledger.toData())));
  assert.equal(restored.has({ producer: 'a', sequence: 9_999 }), true);
  assert.equal(restored.has({ producer: 'a', sequence: 10_000 }), false);
  assert.equal(restored.has({ producer: 'b', sequence: 0 }), false);
});
