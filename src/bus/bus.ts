import type { FilePosition } from '../sources/source.js';

/**
 * About this many raw bytes per message, at most the bus's `maxMessageBytes`. Deflated for the bus
 * (6-17x on log text), a 1 MiB chunk is about a hundred KB on the wire: few messages, so the
 * per-message costs (a PubAck, a delivery, an ack, a row in the store), which nats-server and
 * PostgreSQL pay on the same cores as the workers, stay small; small enough that a redelivery
 * repeats little work. Measured in docs/scale-out.md: from 64 KiB to 256 KiB the worker's CPU per
 * event fell by a sixth; from 256 KiB to 1 MiB nats-server's and PostgreSQL's by a quarter.
 */
export const CHUNK_TARGET_BYTES = 1024 * 1024;

/**
 * A message the bus cannot carry. Chunks are cut to fit (`maxMessageBytes`), so only a single
 * record larger than that is one: it is reported with its place and left out, as `scan` leaves out
 * a record over its size limit, and never retried.
 */
export class MessageTooLarge extends Error {
  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`${bytes} bytes on the wire, more than the bus carries in one message (${limit})`);
  }
}

/**
 * The message bus between publishers (`publish`, `serve --nats`) and workers, kept small so that
 * another stream engine is one adapter file and one registry line (see docs/scale-out.md for a
 * Kafka sketch). A message is a record-aligned chunk of one input's raw bytes.
 */
export interface ChunkMessage {
  /** deterministic, derived from the content and its place: a retry or a rerun carries the same id */
  id: string;
  /** the input the chunk is part of (a file path as given to `publish`, a HEC channel...) */
  source: string;
  /** the source (format) that reads it; absent: sniffed from the chunk */
  format?: string;
  /** where the chunk's first byte sits in its input, so evidence names the input's own lines and offsets */
  startsAt: FilePosition;
  /** the host of events that name none (a HEC or syslog sender) */
  host?: string;
  body: Uint8Array;
}

/** A chunk's names and place: everything but its bytes. */
export type ChunkHeader = Omit<ChunkMessage, 'body'>;

/** One delivery of a message to a worker. */
export interface Delivery {
  message: ChunkHeader;
  /**
   * The chunk's raw bytes, decoded on this call into memory its consumer reuses: valid until the
   * next `body()` of any delivery of that consumer (a worker reads one message at a time). Throws
   * why they cannot be had (an unknown encoding, a corrupt or oversized deflate stream).
   */
  body(): Uint8Array;
  /** 1 on the first delivery */
  deliveries: number;
  /** when the bus stored the message, epoch milliseconds */
  storedAt: number;
  /** the message's headers do not make a chunk (one missing, a bad number...): why */
  malformed?: string;
  /** more time before the bus redelivers it (a long message) */
  working(): void;
  /** done: never delivered again (call only after its results are committed) */
  ack(): void;
  /** not done: deliver again after `delayMs` */
  nak(delayMs: number): void;
  /** never deliver again: it went to the dead-letter subject with `reason` */
  deadLetter(reason: string): Promise<void>;
}

export interface BusPublisher {
  /** the most raw bytes a chunk may hold to be sure to travel as one message (the server's limit less room for headers) */
  readonly maxMessageBytes: number;
  /**
   * resolves once the bus has stored the message durably (retrying with the same id until then);
   * `wireBytes`: what the bus stores for it (the body as encoded for the wire); rejects with
   * `MessageTooLarge`, at once, for a message the bus can never carry
   */
  publish(message: ChunkMessage): Promise<{ duplicate: boolean; wireBytes: number }>;
}

export interface BusConsumer {
  /** up to `max` deliveries, waiting at most `waitMs` for the first */
  fetch(max: number, waitMs: number): Promise<Delivery[]>;
  /** messages not yet acknowledged (pending + in flight), and redeliveries seen by this consumer */
  backlog(): Promise<{ pending: number; inFlight: number }>;
  /** messages this process moved to the dead-letter subject */
  readonly deadLettered: number;
}

export interface BusOptions {
  /** stream (topic) name */
  stream: string;
  /** subject chunks are published to */
  subject: string;
  /** where poison messages go, with the reason */
  deadLetterSubject: string;
  /** the workers' shared durable consumer (group) */
  consumer: string;
  /** deliveries before a message goes to the dead-letter subject */
  maxDeliver: number;
  /** how long a delivery may stay unacknowledged before it is redelivered, ms */
  ackWaitMs: number;
  /** retention by limits: age (ms) and size (bytes, -1 = none) */
  maxAgeMs: number;
  maxBytes: number;
  /** how long a message id is remembered to drop a republished duplicate, ms */
  duplicateWindowMs: number;
}

export interface Bus {
  readonly kind: string;
  /** creates the stream and consumer when missing, or brings them to `options` (safe from many processes at once) */
  provision(): Promise<void>;
  publisher(): BusPublisher;
  consumer(): Promise<BusConsumer>;
  /** the dead letters' messages with their reasons (for tests and `tunnelwatch` operators) */
  deadLetters(): Promise<Array<{ id: string; reason: string; source: string }>>;
  close(): Promise<void>;
}

export const defaultBusOptions: BusOptions = {
  stream: 'TUNNELWATCH',
  subject: 'tunnelwatch.chunks',
  deadLetterSubject: 'tunnelwatch.dead',
  consumer: 'tunnelwatch-workers',
  maxDeliver: 5,
  ackWaitMs: 30_000,
  maxAgeMs: 7 * 24 * 3600 * 1000,
  maxBytes: -1,
  duplicateWindowMs: 2 * 60 * 1000,
};
