import { Readable } from 'node:stream';
import type { RawEvent, Skip, Source, SourceContext, SourceInput } from '../../../src/sources/source.js';
import { families } from '../../../src/families/registry.js';

export { repoRoot, sharedData, sharedDataMissing } from '../../helpers/paths.js';

/** An in-memory input, delivered in `chunkSize` pieces to exercise chunk boundaries. */
export function bufferInput(bytes: Buffer | string, name = 'mem', chunkSize = 0): SourceInput {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  return {
    name,
    size: buf.length,
    open() {
      if (chunkSize <= 0) return Readable.from([buf], { objectMode: false });
      const parts: Buffer[] = [];
      for (let i = 0; i < buf.length; i += chunkSize) parts.push(buf.subarray(i, i + chunkSize));
      return Readable.from(parts, { objectMode: false });
    },
  };
}

export interface Collected {
  events: RawEvent[];
  skips: Skip[];
  prefiltered: number;
}

export function collectingContext(extra: Partial<SourceContext> = {}): SourceContext & { skips: Skip[]; prefilteredCount: () => number } {
  const skips: Skip[] = [];
  let prefiltered = 0;
  return {
    maxRecordBytes: 1 << 20,
    jsonShapes: families.jsonShapes,
    skip: (s) => skips.push(s),
    prefiltered: (n) => (prefiltered += n),
    ...extra,
    skips,
    prefilteredCount: () => prefiltered,
  };
}

export async function readAll(source: Source, input: SourceInput, extra: Partial<SourceContext> = {}): Promise<Collected> {
  const ctx = collectingContext(extra);
  const events: RawEvent[] = [];
  for await (const ev of source.read(input, ctx)) events.push(ev);
  return { events, skips: ctx.skips, prefiltered: ctx.prefilteredCount() };
}

export function skipCodes(skips: Skip[]): string[] {
  return skips.map((s) => s.code);
}
