import { createHash, randomUUID } from 'node:crypto';
import type { Metric } from '../diagnostics/prometheus.js';
import type { JournalHeader } from '../ingest/journal-records.js';
import type { RecordAppender } from '../ingest/journal.js';
import { isSourceName } from '../sources/registry.js';
import { bufferInput } from '../pipeline/stream.js';
import { CHUNK_TARGET_BYTES, MessageTooLarge, type BusPublisher } from './bus.js';
import { chunksOf } from './chunks.js';

/**
 * `serve --nats`: what HEC and syslog accept goes to the bus instead of the journal, as
 * record-aligned chunks; `append` resolves (and HEC answers 200) only once the bus has stored
 * every chunk. A HEC record's message ids come from its events' resend digests, so a resent
 * request (even to another serve) publishes the same ids and adds nothing; syslog batches, which
 * have no resend semantics, get this process's own sequence.
 */
export class BusAppender implements RecordAppender {
  private readonly boot = randomUUID();
  private sequence = 0;
  private messages = 0;
  private bytes = 0;
  private tooLarge = 0;

  constructor(private readonly publisher: BusPublisher) {}

  async append(header: JournalHeader, body: Buffer): Promise<number> {
    const recordId = header.digests?.length ? digest(header.digests.join(',')) : `${this.boot}:${this.sequence++}`;
    // named as the journal processor names a record, so evidence reads the same either way
    const name = `${header.origin}:${header.sourcetype ?? header.format ?? 'auto'}`;
    const format = header.format !== undefined && isSourceName(header.format) ? header.format : undefined;
    const sends: Array<Promise<unknown>> = [];
    for await (const chunk of chunksOf(bufferInput(name, body), format, Math.min(CHUNK_TARGET_BYTES, this.publisher.maxMessageBytes))) {
      const sent = this.publisher.publish({ ...chunk, id: digest(`${recordId}:${chunk.startsAt.offset}`), ...(header.host && { host: header.host }) });
      sends.push(
        sent.then(
          () => {
            this.messages++;
            this.bytes += chunk.body.length;
          },
          (error: unknown) => {
            // one event larger than a bus message: left out and counted, as the journal's processor leaves out a record over its size limit
            if (!(error instanceof MessageTooLarge)) throw error;
            this.tooLarge++;
          },
        ),
      );
    }
    await Promise.all(sends);
    return 0;
  }

  metrics(): Metric[] {
    return [
      { name: 'tunnelwatch_bus_published_messages_total', help: 'chunks published to the bus (each stored before HEC answered)', type: 'counter', value: this.messages },
      { name: 'tunnelwatch_bus_published_bytes_total', help: 'bytes published to the bus', type: 'counter', value: this.bytes },
      { name: 'tunnelwatch_bus_too_large_records_total', help: 'records larger than one bus message: left out (as detection leaves out a record over its size limit)', type: 'counter', value: this.tooLarge },
    ];
  }
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 40);
}
