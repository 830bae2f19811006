import { connect, headers, nanos, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType, type Consumer, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { BodyDecoder, encodeBody } from './compression.js';
import { MessageTooLarge, type Bus, type BusConsumer, type BusOptions, type BusPublisher, type ChunkHeader, type Delivery } from './bus.js';

/** Headers a chunk travels with (the body is the raw bytes). */
const H = { id: 'Nats-Msg-Id', source: 'Tw-Source', format: 'Tw-Format', line: 'Tw-Line', offset: 'Tw-Offset', host: 'Tw-Host', encoding: 'Tw-Encoding', rawBytes: 'Tw-Raw-Bytes', reason: 'Tw-Dead-Reason', deliveries: 'Tw-Deliveries' } as const;
const RETRY_MS = [100, 250, 500, 1000, 2000];
/** room left in the server's max_payload for a message's headers (a long source path included) */
const HEADER_ROOM = 8 * 1024;
/** nats-server's default max_payload, if the server has not said */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/**
 * NATS JetStream: one stream retained by limits (max_age / max_bytes, not WorkQueue: on
 * nats-server 2.9 a WorkQueue stream can keep acked messages after a crash), one durable pull
 * consumer with explicit acks shared by every worker, and a second stream holding the dead letters.
 * Uses nothing newer than nats-server 2.9.
 */
export async function openNatsBus(url: string, options: BusOptions): Promise<Bus> {
  const nc = await connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 250, waitOnFirstConnect: true, name: 'tunnelwatch' });
  return new NatsBus(nc, options);
}

class NatsBus implements Bus {
  readonly kind = 'nats';
  private readonly js: JetStreamClient;
  private jsmPromise?: Promise<JetStreamManager>;
  private advisories?: Subscription;
  private readonly inboxes: Inbox[] = [];

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: BusOptions,
  ) {
    this.js = jetstream(nc);
  }

  private jsm(): Promise<JetStreamManager> {
    return (this.jsmPromise ??= jetstreamManager(this.nc));
  }

  private get deadStream(): string {
    return `${this.options.stream}_DEAD`;
  }

  async provision(): Promise<void> {
    const o = this.options;
    const jsm = await this.jsm();
    const limits = { retention: RetentionPolicy.Limits, storage: StorageType.File, max_age: nanos(o.maxAgeMs), max_bytes: o.maxBytes, duplicate_window: nanos(o.duplicateWindowMs) };
    await ensureStream(jsm, { name: o.stream, subjects: [o.subject], ...limits });
    await ensureStream(jsm, { name: this.deadStream, subjects: [o.deadLetterSubject], ...limits });
    const consumer = {
      durable_name: o.consumer,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: o.subject,
      max_deliver: o.maxDeliver,
      ack_wait: nanos(o.ackWaitMs),
      max_ack_pending: 10_000,
    };
    const existing = await jsm.consumers.info(o.stream, o.consumer).catch(() => undefined);
    if (!existing) await jsm.consumers.add(o.stream, consumer).catch(async (error) => {
      // another process created it first
      if (!(await jsm.consumers.info(o.stream, o.consumer).catch(() => undefined))) throw error;
    });
    else if (existing.config.max_deliver !== o.maxDeliver || existing.config.ack_wait !== consumer.ack_wait) {
      await jsm.consumers.update(o.stream, o.consumer, { max_deliver: o.maxDeliver, ack_wait: consumer.ack_wait });
    }
  }

  publisher(): BusPublisher {
    const maxPayload = this.nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
    return {
      maxMessageBytes: maxPayload - HEADER_ROOM,
      publish: async (message) => {
        const h = headers();
        h.set(H.source, message.source);
        if (message.format) h.set(H.format, message.format);
        h.set(H.line, String(message.startsAt.line));
        h.set(H.offset, String(message.startsAt.offset));
        if (message.host) h.set(H.host, message.host);
        const { body, encoding } = await encodeBody(message.body);
        h.set(H.encoding, encoding);
        // lets the worker inflate into one buffer of the right size (no concatenation of 16 KiB pieces)
        h.set(H.rawBytes, String(message.body.length));
        // the server refuses it every time: retrying would never end
        if (body.length > maxPayload - HEADER_ROOM) throw new MessageTooLarge(body.length, maxPayload - HEADER_ROOM);
        const { duplicate } = await this.publishUntilAcked(this.options.subject, body, message.id, h);
        return { duplicate, wireBytes: body.length };
      },
    };
  }

  /** the same id on every try: the stream's duplicate window drops a copy whose first PubAck was lost */
  private async publishUntilAcked(subject: string, body: Uint8Array, msgID: string, h: MsgHdrs): Promise<{ duplicate: boolean }> {
    for (let attempt = 0; ; attempt++) {
      try {
        const ack = await this.js.publish(subject, body, { msgID, headers: h, timeout: 5000 });
        return { duplicate: ack.duplicate };
      } catch (error) {
        if (this.nc.isClosed()) throw error;
        await sleep(RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]);
      }
    }
  }

  async consumer(): Promise<BusConsumer> {
    const o = this.options;
    const consumer = await this.js.consumers.get(o.stream, o.consumer);
    const state = { deadLettered: 0 };
    await this.watchMaxDeliveries(state);
    const inbox = new Inbox();
    this.inboxes.push(inbox);
    const decoder = new BodyDecoder();
    const bus = this;
    return {
      get deadLettered() {
        return state.deadLettered;
      },
      async fetch(max, waitMs) {
        // deliveries stream in (pull requests kept open): a message is handed out as soon as it
        // arrives, and a busy worker takes what piled up meanwhile as one batch
        if (!inbox.running) void inbox.run(consumer, max * 2);
        if (inbox.queue.length === 0) await inbox.arrival(waitMs);
        return inbox.take(max).map((m) => bus.delivery(m, state, decoder));
      },
      async backlog() {
        const info = await (await bus.jsm()).consumers.info(o.stream, o.consumer);
        return { pending: info.num_pending, inFlight: info.num_ack_pending };
      },
    };
  }

  private delivery(m: JsMsg, state: { deadLettered: number }, decoder: BodyDecoder): Delivery {
    const parsed = chunkOf(m.headers);
    const message = typeof parsed === 'string' ? { id: m.headers?.get(H.id) || `seq-${m.seq}`, source: m.headers?.get(H.source) ?? '', startsAt: { line: 1, offset: 0 } } : parsed;
    return {
      message,
      body: () => {
        const raw = decoder.decode(m.data, m.headers?.get(H.encoding) || undefined, Number(m.headers?.get(H.rawBytes)));
        if (typeof raw === 'string') throw new Error(raw);
        return raw;
      },
      deliveries: m.info.deliveryCount,
      storedAt: Number(m.info.timestampNanos / 1_000_000),
      ...(typeof parsed === 'string' && { malformed: parsed }),
      working: () => m.working(),
      ack: () => m.ack(),
      nak: (delayMs) => m.nak(delayMs),
      deadLetter: async (reason) => {
        await this.copyToDeadLetters(message.id, m.headers, m.data, reason, m.info.deliveryCount);
        state.deadLettered++;
        // no reason on the wire: `+TERM <reason>` is nats-server 2.10's; 2.9 would not take it as a term
        m.term();
      },
    };
  }

  /**
   * A message that kills its worker every time is never failed by any worker: the server gives up
   * on it after max_deliver and says so in an advisory. One worker (a queue group) copies it to the
   * dead-letter subject with the reason.
   */
  private async watchMaxDeliveries(state: { deadLettered: number }): Promise<void> {
    const o = this.options;
    if (this.advisories) return;
    this.advisories = this.nc.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${o.stream}.${o.consumer}`, { queue: `${o.consumer}-dead-letters` });
    void (async () => {
      for await (const advisory of this.advisories!) {
        try {
          const { type, stream_seq: seq, deliveries } = advisory.json<{ type: string; stream_seq: number; deliveries: number }>();
          if (type !== 'io.nats.jetstream.advisory.v1.max_deliver') continue;
          const stored = await (await this.jsm()).streams.getMessage(o.stream, { seq });
          if (!stored) continue;
          const id = stored.header?.get(H.id) || `seq-${seq}`;
          await this.copyToDeadLetters(id, stored.header, stored.data, `delivered ${deliveries} times without being acknowledged (the worker died or timed out on it each time)`, deliveries);
          state.deadLettered++;
        } catch {
          // the stream's copy is still there; the advisory is not repeated
        }
      }
    })();
  }

  private copyToDeadLetters(id: string, original: MsgHdrs | undefined, body: Uint8Array, reason: string, deliveries: number): Promise<{ duplicate: boolean }> {
    const h = headers();
    for (const [k, v] of original ?? []) if (k !== H.id) for (const value of v) h.append(k, value);
    h.set(H.reason, reason);
    h.set(H.deliveries, String(deliveries));
    return this.publishUntilAcked(this.options.deadLetterSubject, body, id, h);
  }

  async deadLetters(): Promise<Array<{ id: string; reason: string; source: string }>> {
    const jsm = await this.jsm();
    const info = await jsm.streams.info(this.deadStream);
    const out: Array<{ id: string; reason: string; source: string }> = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const m = await jsm.streams.getMessage(this.deadStream, { seq }).catch(() => null);
      if (m) out.push({ id: m.header?.get(H.id) ?? '', reason: m.header?.get(H.reason) ?? '', source: m.header?.get(H.source) ?? '' });
    }
    return out;
  }

  async close(): Promise<void> {
    for (const inbox of this.inboxes) inbox.stop();
    this.advisories?.unsubscribe();
    await this.nc.drain().catch(() => this.nc.close());
  }
}

/** Deliveries of a consumer as they stream in, kept until a worker takes them. */
class Inbox {
  readonly queue: JsMsg[] = [];
  running = false;
  private stopped = false;
  private messages?: ConsumerMessages;
  private wake?: () => void;
  private room?: () => void;

  /** up to `max` deliveries, taken out */
  take(max: number): JsMsg[] {
    const taken = this.queue.splice(0, max);
    this.room?.();
    this.room = undefined;
    return taken;
  }

  async run(consumer: Consumer, buffered: number): Promise<void> {
    this.running = true;
    while (!this.stopped) {
      try {
        this.messages = await consumer.consume({ max_messages: buffered });
        for await (const m of this.messages) {
          this.queue.push(m);
          this.wake?.();
          // backpressure: the client pulls more only as the worker takes what is here
          while (this.queue.length >= buffered && !this.stopped) await new Promise<void>((resolve) => (this.room = resolve));
        }
      } catch {
        // the consumer iterator ended (server restart, consumer recreated): open it again
      }
      if (!this.stopped) await sleep(250);
    }
  }

  /** resolves when a delivery arrives, or after `ms` */
  arrival(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done(): void {
        clearTimeout(timer);
        if (self.wake === done) self.wake = undefined;
        resolve();
      }
      this.wake = done;
    });
  }

  stop(): void {
    this.stopped = true;
    this.messages?.stop();
    this.wake?.();
    this.room?.();
  }
}

async function ensureStream(jsm: JetStreamManager, config: { name: string; subjects: string[]; retention: RetentionPolicy; storage: StorageType; max_age: number; max_bytes: number; duplicate_window: number }): Promise<void> {
  const existing = await jsm.streams.info(config.name).catch(() => undefined);
  if (!existing) {
    await jsm.streams.add(config).catch(async (error) => {
      if (!(await jsm.streams.info(config.name).catch(() => undefined))) throw error;
    });
    return;
  }
  const c = existing.config;
  if (c.max_age !== config.max_age || c.max_bytes !== config.max_bytes || c.duplicate_window !== config.duplicate_window) {
    await jsm.streams.update(config.name, { max_age: config.max_age, max_bytes: config.max_bytes, duplicate_window: config.duplicate_window });
  }
}

/** The chunk a message's headers name, or why they do not name one. */
function chunkOf(h: MsgHdrs | undefined): ChunkHeader | string {
  const id = h?.get(H.id);
  const source = h?.get(H.source);
  const line = Number(h?.get(H.line));
  const offset = Number(h?.get(H.offset));
  if (!id) return `no ${H.id} header`;
  if (!source) return `no ${H.source} header`;
  if (!Number.isSafeInteger(line) || line < 1 || !Number.isSafeInteger(offset) || offset < 0) return `${H.line}/${H.offset} headers are not a line number and a byte offset`;
  const format = h?.get(H.format) || undefined;
  const host = h?.get(H.host) || undefined;
  return { id, source, ...(format && { format }), startsAt: { line, offset }, ...(host && { host }) };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
