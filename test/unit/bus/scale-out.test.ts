import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { examplesDir, sharedData, sharedDataMissing } from '../../helpers/paths.js';
import { failureScenarios, runScenario, scaleOutUnavailable, scanJson } from '../../helpers/scale-out.js';

const skip = sharedDataMissing || (await scaleOutUnavailable());
/** EVTX, Windows XML, syslog and JSON lines: about 170 chunks, so a kill lands mid-stream */
const inputs = [examplesDir, ...['tunnel', 'linux-sysmon', 'evtx-sysmon'].map((d) => path.join(sharedData, d))];

describe('scale-out on NATS JetStream: the merged results (findings, evidence, risk incidents) equal one scan of the same files', { skip, timeout: 600_000 }, () => {
  let expected: unknown;
  before(() => {
    expected = scanJson(inputs);
    assert.ok(Array.isArray(expected) && expected.length > 5, 'the reference scan finds something to compare');
  });

  for (const name of Object.keys(failureScenarios) as Array<keyof typeof failureScenarios>) {
    test(`${name}: nothing lost, nothing counted twice`, () => runScenario(name, inputs, expected));
  }
});
