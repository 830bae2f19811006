/**
 * The `evtx` source: Windows binary event logs, decoded natively (see src/sources/evtx/).
 * Worker parallelism is internal: large inputs are decoded chunk-parallel without the caller's help.
 */
import type { RawEvent, Source, SourceContext, SourceInput } from './source.js';
import type { EventFields } from './evtx/fields.js';
import { FILE_MAGIC } from './evtx/file-header.js';
import { readEvtxBatches, type EvtxReadOptions } from './evtx/reader.js';

export class EvtxSource implements Source {
  readonly name = 'evtx';

  constructor(private readonly options: Omit<EvtxReadOptions, 'mode'> = {}) {}

  sniff(head: Buffer): number {
    return head.length >= 8 && head.subarray(0, 8).equals(FILE_MAGIC) ? 2 : 0;
  }

  async *read(input: SourceInput, ctx: SourceContext): AsyncIterable<RawEvent> {
    // one chunk's records per batch: the reader's generator is resumed per chunk, not per record
    for await (const batch of readEvtxBatches(input, ctx, { ...this.options, mode: 'fields' })) {
      for (const rec of batch) {
        const { system, data } = rec.out as EventFields;
        yield { family: 'windows', system, data, location: { file: input.name, offset: rec.offset } };
      }
    }
  }
}

export const evtxSource: Source = new EvtxSource();
