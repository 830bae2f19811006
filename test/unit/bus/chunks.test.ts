import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { CHUNK_TARGET_BYTES } from '../../../src/bus/bus.js';
import { chunksOf } from '../../../src/bus/chunks.js';
import { families } from '../../../src/families/registry.js';
import { bufferInput } from '../../../src/pipeline/stream.js';
import { expandInputs } from '../../../src/sources/inputs.js';
import { pickSource, sources, type SourceName } from '../../../src/sources/registry.js';
import type { SourceContext, SourceInput } from '../../../src/sources/source.js';
import { examplesDir, sharedData, sharedDataMissing } from '../../helpers/paths.js';

const ctx: SourceContext = { maxRecordBytes: 1024 * 1024, jsonShapes: families.jsonShapes, skip: () => undefined };

/** what the source reads: each event's place and identity */
async function events(input: SourceInput, format?: SourceName): Promise<string[]> {
  const source = format ? sources[format] : await pickSource(input);
  const out: string[] = [];
  for await (const e of source!.read(input, ctx)) out.push(`${e.location.file}:${e.location.line}@${e.location.offset} #${e.system.EventRecordID ?? ''} ${e.system.EventID ?? e.data.event_simpleName ?? ''}`);
  return out;
}

async function inputOf(file: string): Promise<SourceInput> {
  for await (const item of expandInputs([file])) if ('open' in item) return item;
  throw new Error(`cannot read ${file}`);
}

const samples = [
  ...readdirSync(examplesDir).filter((f) => f !== 'README.md').map((f) => path.join(examplesDir, f)),
  ...(sharedDataMissing ? [] : ['evtx-sysmon/omerbenamram-sysmon.evtx', 'linux-sysmon/otrf-log4shell-sysmon-linux.DERIVED-syslog.log', 'linux-sysmon/otrf-log4shell-syslog-sysmon-linux.jsonl.gz'].map((f) => path.join(sharedData, f))),
];

for (const target of [700, 4096, 64 * 1024, CHUNK_TARGET_BYTES]) {
  test(`every sample cut into record-aligned chunks of about ${target} bytes reads, chunk by chunk, to the same events at the same lines and offsets as the whole file`, async () => {
    for (const file of samples) {
      const whole = await events(await inputOf(file));
      const chunked: string[] = [];
      let chunks = 0;
      for await (const chunk of chunksOf(await inputOf(file), undefined, target)) {
        chunks++;
        const input = { ...bufferInput(chunk.source, Buffer.from(chunk.body)), startsAt: chunk.startsAt };
        chunked.push(...(await events(input, chunk.format as SourceName)));
      }
      assert.ok(whole.length > 0, `${file} has events`);
      assert.deepEqual(chunked, whole, `${file} in ${chunks} chunks`);
    }
  });
}
