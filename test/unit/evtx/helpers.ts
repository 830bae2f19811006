import { createReadStream, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { DecodeMode, DecodedRecord } from '../../../src/sources/evtx/decode.js';
import { readEvtx } from '../../../src/sources/evtx/reader.js';
import type { Skip, SourceContext, SourceInput } from '../../../src/sources/source.js';
import { families } from '../../../src/families/registry.js';
import { repoRoot, sharedData, sharedDataMissing } from '../../helpers/paths.js';

export { repoRoot };
export const dataRoot = sharedData;
export const hasData = !sharedDataMissing;
export const noData = sharedDataMissing || 'never skipped: ../shared/data is present';
export const fixture = path.join(repoRoot, 'test/fixtures/contract/evtx.evtx');

export function fileInput(p: string): SourceInput {
  return { name: p, path: p, size: statSync(p).size, open: () => createReadStream(p) };
}

/** An input with no path, like stdin or a decompressed .gz: bytes only arrive as a stream. */
export function bufferInput(name: string, bytes: Buffer, piece = 7000): SourceInput {
  return {
    name,
    open: () => Readable.from((function* () { for (let i = 0; i < bytes.length; i += piece) yield bytes.subarray(i, i + piece); })()),
  };
}

export interface ReadResult { records: DecodedRecord[]; skips: Skip[] }

export async function readAll(input: SourceInput, mode: DecodeMode = 'fields', extra: Partial<SourceContext> = {}, threads = 0): Promise<ReadResult> {
  const skips: Skip[] = [];
  const ctx: SourceContext = { maxRecordBytes: 1 << 20, jsonShapes: families.jsonShapes, skip: (s) => skips.push(s), ...extra };
  const records: DecodedRecord[] = [];
  for await (const r of readEvtx(input, ctx, { mode, threads })) records.push(r);
  return { records, skips };
}

export function readBytes(p: string): Buffer {
  return readFileSync(p);
}

/** mulberry32: a tiny seeded PRNG, so every mutation is reproducible from its seed */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
