import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { readBody, type BodyLimits } from './body.js';
import { hecReply, type HecReply } from './hec-codes.js';
import { digestOf, formatOfSourcetype, joinedLines, parseEventBody, type HecEvent, type HecMetadata } from './hec-events.js';
import type { JournalHeader } from './journal-records.js';
import type { RecordAppender } from './journal.js';
import type { ResendWindow } from './resend-window.js';

/**
 * Splunk's HTTP Event Collector, as Splunk answers it: `/services/collector[/event[/1.0]]`,
 * `/services/collector/raw[/1.0]`, `/services/collector/health[/1.0]`, `/services/collector/ack`.
 * A 200 (and an ack reported true) is sent only once the events are fsynced in the journal.
 */

/** A HEC token and what events sent with it get by default. */
export interface TokenConfig {
  token: string;
  name: string;
  /** default metadata for events that do not say */
  index?: string;
  source?: string;
  sourcetype?: string;
  host?: string;
  /** indexes events may name; absent: any */
  indexes?: string[];
  /** indexer acknowledgement: channels required, ack ids returned */
  ack: boolean;
  disabled: boolean;
  /** may read and triage findings through the API (the primary token always may) */
  api: boolean;
}

export interface HecOptions {
  journal: RecordAppender;
  /** token text -> its configuration */
  tokens: ReadonlyMap<string, TokenConfig>;
  allowQueryStringAuth: boolean;
  limits: BodyLimits;
  resend: ResendWindow;
  /** undefined when events may come in; else the refusal (9 busy, 23 shutting down, 26 queue full) */
  admission(): HecReply | undefined;
  /** health: undefined when healthy; else 18/23 */
  health(): HecReply | undefined;
  stats: HecStats;
}

export interface HecStats {
  requests: number;
  events: number;
  duplicates: number;
  rejected: number;
  bytes: number;
}

export const newHecStats = (): HecStats => ({ requests: 0, events: 0, duplicates: 0, rejected: 0, bytes: 0 });

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** channels remembered for acks, and ack ids pending per channel: beyond them, 503 code 9 */
const MAX_CHANNELS = 10_000;
const MAX_PENDING_ACKS = 100_000;

interface AckChannel {
  next: number;
  /** ack ids issued and not yet reported true */
  pending: Set<number>;
}

type Query = Record<string, string | undefined>;

export async function registerHec(app: FastifyInstance, options: HecOptions): Promise<void> {
  const channels = new Map<string, AckChannel>();

  // bodies are read here, as streams, under this plugin's caps (not fastify's 1 MiB default)
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  const send = (reply: FastifyReply, r: HecReply) => {
    if (r.status !== 200) options.stats.rejected++;
    if (r.retryAfter !== undefined) void reply.header('retry-after', String(r.retryAfter));
    return reply.code(r.status).type('application/json').send(r.body);
  };

  /** auth, then the channel rule; the token's config or the refusal */
  const authorize = (request: FastifyRequest): { token: TokenConfig; channel?: string } | HecReply => {
    const query = request.query as Query;
    const header = request.headers.authorization;
    let text: string | undefined;
    if (header === undefined) {
      if (query.token !== undefined) {
        if (!options.allowQueryStringAuth) return hecReply(16);
        text = query.token;
      } else return hecReply(2);
    } else {
      text = tokenOfHeader(header);
      if (text === undefined) return hecReply(3);
    }
    const token = options.tokens.get(text);
    if (!token) return hecReply(4);
    if (token.disabled) return hecReply(1);
    const channel = (request.headers['x-splunk-request-channel'] as string | undefined) ?? query.channel;
    if (channel !== undefined && !GUID.test(channel)) return hecReply(11);
    if (channel === undefined && token.ack) return hecReply(10);
    return { token, channel };
  };

  const ackIdFor = (token: TokenConfig, channel: string | undefined): number | HecReply | undefined => {
    if (!token.ack || channel === undefined) return undefined;
    let state = channels.get(channel);
    if (!state) {
      if (channels.size >= MAX_CHANNELS) return hecReply(9, { retryAfter: 1 });
      channels.set(channel, (state = { next: 0, pending: new Set() }));
    }
    if (state.pending.size >= MAX_PENDING_ACKS) return hecReply(27, { retryAfter: 1 });
    const id = state.next++;
    // the journal write has been fsynced before this is called: the ack is already true
    state.pending.add(id);
    return id;
  };

  /** reads the body under the caps; the text or the refusal */
  const body = async (request: FastifyRequest): Promise<Buffer | HecReply> => {
    const length = Number(request.headers['content-length']);
    if (Number.isFinite(length) && length > options.limits.maxBodyBytes) {
      (request.body as Readable | undefined)?.resume();
      return { status: 413, body: { text: `Content-Length of ${length} too large (maximum is ${options.limits.maxBodyBytes})`, code: 6 } };
    }
    if (!request.body) return Buffer.alloc(0);
    const read = await readBody(request.body as Readable, request.headers['content-encoding'] as string | undefined, options.limits);
    if (!read.ok) return { status: read.status, body: { text: read.text, code: 6 } };
    options.stats.bytes += read.body.length;
    return read.body;
  };

  /** journals `events` (all one request's) grouped in runs of equal metadata; resolves when fsynced */
  const journalEvents = async (events: HecEvent[], channel: string | undefined, peer: string): Promise<void> => {
    const fresh: HecEvent[] = [];
    for (const e of events) {
      if (options.resend.has(e.digest)) {
        options.stats.duplicates++;
        continue;
      }
      options.resend.add(e.digest);
      fresh.push(e);
    }
    const writes: Array<Promise<number>> = [];
    let run: HecEvent[] = [];
    const flush = () => {
      if (run.length === 0) return;
      const first = run[0];
      const header: JournalHeader = {
        origin: 'hec',
        ...metadataOf(first),
        ...(channel !== undefined && { channel }),
        peer,
        format: formatOfSourcetype(first.sourcetype),
        digests: run.map((e) => e.digest),
      };
      writes.push(options.journal.append(header, joinedLines(run)));
      run = [];
    };
    for (const e of fresh) {
      if (run.length > 0 && !sameMetadata(run[0], e)) flush();
      run.push(e);
    }
    flush();
    try {
      await Promise.all(writes);
    } catch (error) {
      for (const e of fresh) options.resend.delete(e.digest);
      throw error;
    }
    options.stats.events += fresh.length;
  };

  /** what every ingest request goes through: auth and channel, admission (overload), the body under its caps */
  const admit = async (request: FastifyRequest): Promise<{ auth: { token: TokenConfig; channel?: string }; raw: Buffer } | HecReply> => {
    options.stats.requests++;
    const auth = authorize(request);
    if ('status' in auth) return drain(request, auth);
    const refusal = options.admission();
    if (refusal) return drain(request, refusal);
    const raw = await body(request);
    return Buffer.isBuffer(raw) ? { auth, raw } : raw;
  };

  const eventEndpoint = async (request: FastifyRequest, reply: FastifyReply) => {
    const admitted = await admit(request);
    if ('status' in admitted) return send(reply, admitted);
    const { auth, raw } = admitted;
    const query = request.query as Query;
    const defaults = defaultsOf(auth.token, query);
    const parsed = parseEventBody(raw, defaults, auth.token.indexes);
    // Splunk's prefix commit: the events before the first bad one are taken
    if (parsed.events.length > 0) await journalEvents(parsed.events, auth.channel, request.ip);
    if (parsed.error) return send(reply, hecReply(parsed.error.code, { invalidEventNumber: parsed.error.code === 5 ? undefined : parsed.error.eventNumber }));
    const ackId = ackIdFor(auth.token, auth.channel);
    if (typeof ackId === 'object') return send(reply, ackId);
    return send(reply, hecReply(0, { ackId }));
  };

  const rawEndpoint = async (request: FastifyRequest, reply: FastifyReply) => {
    const admitted = await admit(request);
    if ('status' in admitted) return send(reply, admitted);
    const { auth, raw } = admitted;
    if (raw.length === 0 || raw.toString('utf8').trim() === '') return send(reply, hecReply(5));
    const meta = defaultsOf(auth.token, request.query as Query);
    if (meta.index !== undefined && auth.token.indexes && !auth.token.indexes.includes(meta.index)) return send(reply, hecReply(7));
    // /raw is idempotent per body: the same bytes with the same metadata are taken once
    const digest = digestOf([meta.index, meta.host, meta.source, meta.sourcetype, digestOf([raw.toString('base64')])]);
    if (options.resend.has(digest)) options.stats.duplicates++;
    else {
      options.resend.add(digest);
      const header: JournalHeader = {
        origin: 'hec',
        ...meta,
        ...(auth.channel !== undefined && { channel: auth.channel }),
        peer: request.ip,
        format: formatOfSourcetype(meta.sourcetype),
        digests: [digest],
      };
      try {
        await options.journal.append(header, raw);
      } catch (error) {
        options.resend.delete(digest);
        throw error;
      }
      options.stats.events++;
    }
    const ackId = ackIdFor(auth.token, auth.channel);
    if (typeof ackId === 'object') return send(reply, ackId);
    return send(reply, hecReply(0, { ackId }));
  };

  const healthEndpoint = async (_request: FastifyRequest, reply: FastifyReply) => send(reply, options.health() ?? hecReply(17));

  const ackEndpoint = async (request: FastifyRequest, reply: FastifyReply) => {
    const auth = authorize(request);
    if ('status' in auth) return drain(request, send(reply, auth));
    if (!auth.token.ack) return drain(request, send(reply, hecReply(14)));
    if (auth.channel === undefined) return drain(request, send(reply, hecReply(10)));
    const raw = await body(request);
    if (!Buffer.isBuffer(raw)) return send(reply, raw);
    let ids: unknown;
    try {
      ids = (JSON.parse(raw.toString('utf8')) as { acks?: unknown }).acks;
    } catch {
      return send(reply, hecReply(6));
    }
    if (!Array.isArray(ids) || !ids.every((id) => Number.isSafeInteger(id) && id >= 0)) return send(reply, hecReply(6));
    const state = channels.get(auth.channel);
    const acks: Record<string, boolean> = {};
    for (const id of ids as number[]) {
      const done = state?.pending.has(id) ?? false;
      acks[String(id)] = done;
      // an id reported true is forgotten: asking again answers false
      if (done) state?.pending.delete(id);
    }
    return reply.code(200).type('application/json').send({ acks });
  };

  const routes: Array<[string[], 'POST' | 'GET', (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>]> = [
    [['/services/collector', '/services/collector/event', '/services/collector/event/1.0'], 'POST', eventEndpoint],
    [['/services/collector/raw', '/services/collector/raw/1.0'], 'POST', rawEndpoint],
    [['/services/collector/health', '/services/collector/health/1.0'], 'GET', healthEndpoint],
    [['/services/collector/ack', '/services/collector/ack/1.0'], 'POST', ackEndpoint],
  ];
  for (const [urls, method, handler] of routes) {
    for (const url of urls) {
      app.route({ method, url, handler });
      const others = (['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const).filter((m) => m !== method);
      app.route({
        method: [...others],
        url,
        handler: async (request, reply) => drain(request, reply.code(405).header('allow', method).type('application/json').send({ text: 'The requested method is not allowed', code: 405 })),
      });
    }
  }
  app.all('/services/collector/*', async (request, reply) =>
    drain(request, reply.code(404).type('application/json').send({ text: 'The requested URL was not found on this server.', code: 404 })),
  );
}

/** `Splunk <token>`, or Basic with the token as the password (any user name); undefined when malformed */
function tokenOfHeader(header: string): string | undefined {
  const space = header.indexOf(' ');
  if (space < 0) return undefined;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (value === '' || value.includes(' ')) return undefined;
  if (scheme === 'splunk') return value;
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 && colon < decoded.length - 1 ? decoded.slice(colon + 1) : undefined;
  }
  return undefined;
}

function defaultsOf(token: TokenConfig, query: Query): HecMetadata {
  const meta: HecMetadata = {};
  for (const key of ['index', 'host', 'source', 'sourcetype'] as const) {
    const value = query[key] || token[key];
    if (value) meta[key] = value;
  }
  return meta;
}

function metadataOf(e: HecMetadata): HecMetadata {
  const meta: HecMetadata = {};
  for (const key of ['index', 'host', 'source', 'sourcetype'] as const) if (e[key] !== undefined) meta[key] = e[key];
  return meta;
}

function sameMetadata(a: HecMetadata, b: HecMetadata): boolean {
  return a.index === b.index && a.host === b.host && a.source === b.source && a.sourcetype === b.sourcetype;
}

/** a refused request's unread body is discarded, so the connection stays usable */
function drain<T>(request: FastifyRequest, result: T): T {
  const stream = request.body as Readable | undefined;
  if (stream && typeof stream.resume === 'function' && !stream.readableEnded) stream.resume();
  return result;
}
