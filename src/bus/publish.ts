import { expandInputs } from '../sources/inputs.js';
import type { SourceName } from '../sources/registry.js';
import { CHUNK_TARGET_BYTES, MessageTooLarge, type BusPublisher } from './bus.js';
import { chunksOf } from './chunks.js';

export interface PublishResult {
  inputs: number;
  messages: number;
  bytes: number;
  /** what the bus stores for them (compressed) */
  wireBytes: number;
  /** chunks the bus already held (a rerun, or a retry whose first PubAck was lost) */
  duplicates: number;
  inputErrors: Array<{ path: string; message: string }>;
  /** records too large for one message of the bus: left out, each with its place */
  tooLarge: Array<{ source: string; line: number; offset: number; bytes: number; message: string }>;
}

/**
 * Every input's chunks (of `chunkBytes`, at most what the bus carries), with up to `inFlight`
 * awaiting their PubAck at once; resolves once the bus has stored every one (each is retried with
 * its own id until then) but a record too large for any message, which is reported instead.
 */
export async function publishInputs(publisher: BusPublisher, inputs: string[], options: { format?: SourceName; inFlight: number; chunkBytes?: number }): Promise<PublishResult> {
  const result: PublishResult = { inputs: 0, messages: 0, bytes: 0, wireBytes: 0, duplicates: 0, inputErrors: [], tooLarge: [] };
  const chunkBytes = Math.min(options.chunkBytes ?? CHUNK_TARGET_BYTES, publisher.maxMessageBytes);
  const window = new Set<Promise<void>>();
  for await (const input of expandInputs(inputs)) {
    if (!('open' in input)) {
      result.inputErrors.push({ path: input.path, message: input.message });
      continue;
    }
    result.inputs++;
    for await (const message of chunksOf(input, options.format, chunkBytes)) {
      const sent: Promise<void> = publisher
        .publish(message)
        .then(({ duplicate, wireBytes }) => {
          result.messages++;
          result.bytes += message.body.length;
          result.wireBytes += wireBytes;
          if (duplicate) result.duplicates++;
        })
        .catch((error: unknown) => {
          if (!(error instanceof MessageTooLarge)) throw error;
          result.tooLarge.push({ source: message.source, ...message.startsAt, bytes: message.body.length, message: error.message });
        })
        .finally(() => window.delete(sent));
      window.add(sent);
      if (window.size >= options.inFlight) await Promise.race(window);
    }
  }
  await Promise.all(window);
  return result;
}
