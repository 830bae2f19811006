import type { FastifyInstance, FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import type { MatchedValues } from '../engine/matched-values.js';
import type { FindingRecord } from '../engine/render.js';
import {
  dispositions,
  StoreInputError,
  triageStatuses,
  urgencies,
  type FindingFilter,
  type FindingQuery,
  type FindingStore,
  type SortKey,
  type StoredFinding,
  type TriageChange,
} from '../store/store.js';
import { sessionId } from './config.js';
import { registerTuning, type TuningApiOptions } from './tuning.js';

/**
 * The dashboard's API under /api (docs/server-api.md). Every call needs a token allowed to read
 * findings (`Authorization: Bearer <token>` or `Splunk <token>`) or the session cookie a token
 * was exchanged for. Bad requests are 400 with `{"error": ...}`; nothing a client sends can stop
 * the server.
 */
export interface ApiOptions {
  store: FindingStore;
  /** tokens that may use the API, with the name that stands for their user (history, owner `me`) */
  apiTokens: ReadonlyArray<{ token: string; name: string }>;
  /** live updates (the ids of the findings each commit changed): subscribe returns an unsubscribe function */
  subscribe(listener: (changed: string[]) => void): () => void;
  status(): Record<string, unknown>;
  /** the spans of a finding's values its detection's condition matched (the detail view marks them) */
  matchedOf?: (record: FindingRecord) => MatchedValues | undefined;
  /** tune from a finding (draft, preview, save a filter-macro entry) */
  tuning?: TuningApiOptions;
}

const SESSION_COOKIE = 'tw_session';
const SESSION_SECONDS = 12 * 3600;
const sortKeys: readonly SortKey[] = ['last_time', 'first_time', 'urgency', 'count', 'risk_score', 'search_name', 'updated_at'];

class BadRequest extends Error {}

export async function registerApi(app: FastifyInstance, options: ApiOptions): Promise<void> {
  const sessions = new Map<string, { actor: string; expires: number }>();
  const tokenBuffers = options.apiTokens.map((t) => ({ bytes: Buffer.from(t.token), name: t.name }));

  /** the name of the user a token stands for, or undefined for a token the API does not take */
  const tokenUser = (token: string): string | undefined => {
    const given = Buffer.from(token);
    return tokenBuffers.find((t) => t.bytes.length === given.length && timingSafeEqual(t.bytes, given))?.name;
  };

  /** the caller's name (its token's), for the history and owner `me`; undefined when not signed in */
  const actorOf = (request: FastifyRequest): string | undefined => {
    const header = request.headers.authorization;
    if (header) {
      const match = /^(Bearer|Splunk) (\S+)$/i.exec(header);
      return match ? tokenUser(match[2]) : undefined;
    }
    const cookie = cookieValue(request.headers.cookie, SESSION_COOKIE);
    const session = cookie ? sessions.get(cookie) : undefined;
    if (!session || session.expires < Date.now()) return undefined;
    return session.actor;
  };

  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof BadRequest || error instanceof StoreInputError) return reply.code(400).send({ error: error.message });
    const status = (error as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) return reply.code(status).send({ error: (error as Error).message });
    app.log.error(error);
    return reply.code(500).send({ error: 'internal error' });
  });

  app.addHook('onRequest', async (request, reply) => {
    if (request.url === '/api/session' && request.method === 'POST') return;
    const actor = actorOf(request);
    if (!actor) return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'a token is required (Authorization: Bearer <token>)' });
    (request as FastifyRequest & { actor: string }).actor = actor;
  });

  app.post('/api/session', async (request, reply) => {
    const token = (request.body as { token?: unknown } | undefined)?.token;
    const user = typeof token === 'string' ? tokenUser(token) : undefined;
    if (user === undefined) return reply.code(401).send({ error: 'invalid token' });
    const id = sessionId();
    sessions.set(id, { actor: user, expires: Date.now() + SESSION_SECONDS * 1000 });
    for (const [k, s] of sessions) if (s.expires < Date.now()) sessions.delete(k);
    return reply
      .header('set-cookie', `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_SECONDS}`)
      .send({ ok: true });
  });

  /** who the caller is: owner `me` in filters and triage stands for this name */
  app.get('/api/session', async (request) => ({ user: actor(request) }));

  app.delete('/api/session', async (request, reply) => {
    const cookie = cookieValue(request.headers.cookie, SESSION_COOKIE);
    if (cookie) sessions.delete(cookie);
    return reply.header('set-cookie', `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`).send({ ok: true });
  });

  app.get('/api/findings', async (request) => {
    const query = findingQuery(request.query as Record<string, unknown>, actor(request));
    const page = await options.store.listFindings(query);
    return { items: page.items.map(apiItem), total: page.total };
  });

  app.get('/api/findings/:id', async (request, reply) => {
    const detail = await options.store.getFinding((request.params as { id: string }).id);
    if (!detail) return reply.code(404).send({ error: 'no such finding' });
    const matched = options.matchedOf?.(detail.record) ?? {};
    return { ...apiItem(detail), history: detail.history, events: detail.events, risk_events: detail.riskEvents, matched };
  });

  app.patch('/api/findings/:id', async (request, reply) => {
    const id = (request.params as { id: string }).id;
    const matched = await options.store.triage({ ids: [id] }, triageChange(request.body, actor(request)), actor(request));
    if (matched === 0) return reply.code(404).send({ error: 'no such finding' });
    const detail = await options.store.getFinding(id);
    return detail ? { ...apiItem(detail), history: detail.history } : reply.code(404).send({ error: 'no such finding' });
  });

  /** bulk triage: `{"ids": [...]}` or `{"filter": {...the list's query parameters...}}` ("all matching") plus the change */
  app.post('/api/findings/triage', async (request) => {
    const body = objectBody(request.body);
    const change = triageChange(body.change, actor(request));
    let filter: FindingFilter;
    if (Array.isArray(body.ids)) {
      if (!body.ids.every((id) => typeof id === 'string')) throw new BadRequest('ids must be strings');
      filter = { ids: body.ids as string[] };
    } else if (body.filter !== undefined) {
      const { sort: _s, descending: _d, limit: _l, offset: _o, ...rest } = findingQuery(objectBody(body.filter), actor(request));
      filter = rest;
    } else throw new BadRequest('give "ids" or "filter" (use {"filter": {}} to change every finding)');
    return { matched: await options.store.triage(filter, change, actor(request)) };
  });

  app.get('/api/risk', async (request) => {
    const q = request.query as Record<string, unknown>;
    return options.store.riskObjects({ from: timeParam(q.from, 'from'), to: timeParam(q.to, 'to'), limit: intParam(q.limit, 'limit', 50), offset: intParam(q.offset, 'offset', 0) });
  });

  app.get('/api/risk/:type/:object', async (request) => {
    const { type, object } = request.params as { type: string; object: string };
    const limit = intParam((request.query as Record<string, unknown>).limit, 'limit', 500);
    const events = await options.store.riskEventsOf(object, type, limit + 1);
    return { items: events.slice(0, limit), more: events.length > limit };
  });

  app.get('/api/incidents', async () => ({ items: await options.store.incidents() }));

  app.get('/api/status', async () => options.status());

  /**
   * live updates: an SSE stream of `findings` events with the changed findings as the list gives
   * them (triage state included), read from the store after the commit, in commit order
   */
  app.get('/api/events', (request, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-content-type-options': 'nosniff' });
    res.write(': connected\n\n');
    let sending = Promise.resolve();
    const unsubscribe = options.subscribe((changed) => {
      sending = sending.then(async () => {
        for (let i = 0; i < changed.length; i += 1000) {
          const page = await options.store.listFindings({ ids: changed.slice(i, i + 1000), limit: 1000 });
          if (page.items.length > 0) res.write(`event: findings\ndata: ${JSON.stringify({ items: page.items.map(apiItem) })}\n\n`);
        }
      }).catch(() => undefined);
    });
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    request.raw.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
    });
  });

  if (options.tuning) registerTuning(app, options.tuning, (request) => actor(request as FastifyRequest));

  app.all('/api/*', async (_request, reply) => reply.code(404).send({ error: 'no such API endpoint' }));
}

function actor(request: FastifyRequest): string {
  return (request as FastifyRequest & { actor?: string }).actor ?? 'unknown';
}

/** A finding as the API lists it: scan's JSONL row, then triage state and revision. */
function apiItem(f: StoredFinding): Record<string, unknown> {
  return { kind: 'finding', ...f.record, triage: f.triage, revision: f.revision, updated_at: f.updatedAt };
}

function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequest('the body must be a JSON object');
  return body as Record<string, unknown>;
}

/** `me` as the owner stands for the caller */
function triageChange(body: unknown, me: string): TriageChange {
  const b = objectBody(body);
  const change: TriageChange = {};
  const known = new Set(['status', 'owner', 'urgency', 'disposition', 'comment']);
  for (const key of Object.keys(b)) if (!known.has(key)) throw new BadRequest(`unknown triage field '${key}'`);
  if (b.status !== undefined) change.status = oneOf(b.status, triageStatuses, 'status');
  if (b.urgency !== undefined) change.urgency = oneOf(b.urgency, urgencies, 'urgency');
  if (b.disposition !== undefined) change.disposition = b.disposition === null ? null : oneOf(b.disposition, dispositions, 'disposition');
  if (b.owner !== undefined) {
    if (b.owner !== null && (typeof b.owner !== 'string' || b.owner.length > 200)) throw new BadRequest('owner must be a name or null');
    change.owner = b.owner === 'me' ? me : (b.owner as string | null);
  }
  if (b.comment !== undefined) {
    if (typeof b.comment !== 'string' || b.comment.length > 10_000) throw new BadRequest('comment must be text of at most 10000 characters');
    change.comment = b.comment;
  }
  return change;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], name: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) throw new BadRequest(`${name} must be one of ${allowed.join(', ')}`);
  return value as T;
}

/** Query parameters (or a bulk filter object) as a store query; repeated or comma-separated lists; owner `me` is `me`, the caller. */
export function findingQuery(q: Record<string, unknown>, me: string): FindingQuery {
  const known = new Set(['limit', 'offset', 'sort', 'order', 'detection', 'story', 'technique', 'host', 'user', 'status', 'owner', 'urgency', 'disposition', 'from', 'to', 'q', 'ids']);
  for (const key of Object.keys(q)) if (!known.has(key)) throw new BadRequest(`unknown parameter '${key}'`);
  const query: FindingQuery = { limit: intParam(q.limit, 'limit', 50), offset: intParam(q.offset, 'offset', 0) };
  if (query.limit! > 1000) throw new BadRequest('limit is at most 1000');
  if (q.sort !== undefined) query.sort = oneOf(q.sort, sortKeys, 'sort');
  if (q.order !== undefined) query.descending = oneOf(q.order, ['asc', 'desc'] as const, 'order') === 'desc';
  const list = (v: unknown, name: string): string[] | undefined => {
    if (v === undefined) return undefined;
    const values = (Array.isArray(v) ? v : [v]).flatMap((x) => {
      if (typeof x !== 'string') throw new BadRequest(`${name} must be text`);
      return x.split(',').map((s) => s.trim()).filter(Boolean);
    });
    return values;
  };
  const text = (v: unknown, name: string): string | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v.length > 1000) throw new BadRequest(`${name} must be text of at most 1000 characters`);
    return v;
  };
  query.ids = list(q.ids, 'ids');
  query.detection = list(q.detection, 'detection');
  query.story = text(q.story, 'story');
  query.technique = text(q.technique, 'technique');
  query.host = text(q.host, 'host');
  query.user = text(q.user, 'user');
  query.text = text(q.q, 'q');
  const status = list(q.status, 'status');
  if (status) query.status = status.map((s) => oneOf(s, triageStatuses, 'status'));
  const urgency = list(q.urgency, 'urgency');
  if (urgency) query.urgency = urgency.map((u) => oneOf(u, urgencies, 'urgency'));
  const disposition = list(q.disposition, 'disposition');
  if (disposition) query.disposition = disposition.map((d) => (d === 'none' ? null : oneOf(d, dispositions, 'disposition')));
  const owner = text(q.owner, 'owner');
  if (owner !== undefined) query.owner = owner === '' || owner === 'unassigned' ? null : owner === 'me' ? me : owner;
  query.from = timeParam(q.from, 'from');
  query.to = timeParam(q.to, 'to');
  for (const key of Object.keys(query) as Array<keyof FindingQuery>) if (query[key] === undefined) delete query[key];
  return query;
}

function intParam(v: unknown, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,9}$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw new BadRequest(`${name} must be a whole number >= 0`);
  return n;
}

/** epoch seconds or ISO-8601 */
function timeParam(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string') {
    if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
    const ms = Date.parse(v);
    if (Number.isFinite(ms)) return ms / 1000;
  }
  throw new BadRequest(`${name} must be epoch seconds or an ISO-8601 time`);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

