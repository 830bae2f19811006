/**
 * The `evtx` source: Windows binary event logs, decoded natively (see src/sources/evtx/). The scan
 * shares a large file between threads as pieces (`split`); chunk-parallel decoding inside one read
 * is for callers that ask for it (`threads`).
 */
import { Sniff, type RawEvent, type RecordPrefilter, type Source, type SourceContext, type SourceInput } from './source.js';
import type { EventFields } from './evtx/fields.js';
import { CHUNK_SIZE, FILE_HEADER_SIZE, FILE_MAGIC } from './evtx/file-header.js';
import type { ByteRange } from './file-blocks.js';
import type { EvtxReadOptions } from './evtx/reader.js';
import type { EventIdTest } from './evtx/decode.js';

export class EvtxSource implements Source {
  readonly name = 'evtx';

  constructor(private readonly options: Omit<EvtxReadOptions, 'mode'> = {}) {}

  sniff(head: Buffer): number {
    return head.length >= 8 && head.subarray(0, 8).equals(FILE_MAGIC) ? Sniff.certain : Sniff.notMine;
  }

  async *read(input: SourceInput, ctx: SourceContext): AsyncIterable<RawEvent> {
    // the decoder (~60 KB) is loaded by the first EVTX input only: a scan of text never pays for it
    const { readEvtxBatches } = await import('./evtx/reader.js');
    const eventIdTest = kindTest(ctx.prefilter);
    // one chunk's records per batch: the reader's generator is resumed per chunk, not per record
    for await (const batch of readEvtxBatches(input, ctx, { ...this.options, mode: 'fields', ...(eventIdTest && { eventIdTest }) })) {
      for (const rec of batch) {
        const { system, data } = rec.out as EventFields;
        yield { family: 'windows', system, data, location: { file: input.name, offset: rec.offset } };
      }
    }
  }

  /** Chunks are self-contained: pieces are whole 64 KiB chunk slots, the first one with the file header. */
  split(input: SourceInput, pieceBytes: number): ByteRange[] | undefined {
    const size = input.size;
    if (input.path === undefined || size === undefined || size < 2 * pieceBytes) return undefined;
    const span = Math.max(1, Math.floor(pieceBytes / CHUNK_SIZE)) * CHUNK_SIZE;
    const pieces: ByteRange[] = [];
    for (let start = 0; start < size; ) {
      const end = Math.min(size, (start === 0 ? FILE_HEADER_SIZE : start) + span);
      pieces.push({ start, end });
      start = end;
    }
    return pieces;
  }
}

/**
 * The prefilter's test by kind (a record's EventID) for records its literal test passed: a binary
 * record tells its EventID once its System section is decoded, so the test runs then, on the raw
 * record data, before the rest is decoded. A Sysmon process creation holding a network rule's
 * `ssh` is dropped there, not parsed. The test's vetoes (prefilter-vetoes.ts) read the record's
 * payload fields as it decodes to: a 4624 logon from 127.0.0.1 that is not an RDP logon is dropped
 * with its LogonType and IpAddress read, the rest of it neither decoded nor normalized.
 */
function kindTest(prefilter: RecordPrefilter | undefined): EventIdTest | undefined {
  if (!prefilter?.mayMatchKindUtf16) return undefined;
  const byKind = prefilter.mayMatchKindUtf16.bind(prefilter);
  return (eventId, buf, start, end, read) => eventId === undefined || byKind(buf, start, end, { family: 'windows', system: { EventID: eventId }, payload: () => read });
}

export const evtxSource: Source = new EvtxSource({ threads: 0 });
