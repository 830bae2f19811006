// The queue's view as URL parameters, and how it becomes an API query. Defaults follow the issue:
// not closed, last 24 h, most urgent first.

export const OPEN_STATUSES = 'new,in_progress,pending,resolved';
export const DEFAULTS: Record<string, string> = { status: OPEN_STATUSES, time: '24h', sort: 'urgency', order: 'desc', limit: '50', offset: '0' };
/** URL-only parameters the API does not know */
const VIEW_ONLY = new Set(['time', 'group']);
const TIME_RANGES: Record<string, number> = { '1h': 3600, '24h': 86_400, '7d': 7 * 86_400, '30d': 30 * 86_400 };
export const TIME_CHOICES = ['1h', '24h', '7d', '30d', 'all'];

export function viewValue(params: URLSearchParams, key: string): string {
  return params.get(key) ?? DEFAULTS[key] ?? '';
}

/** The API's query for a view; `all` means no filter on that field. */
export function apiQuery(params: URLSearchParams, now = Date.now() / 1000): Record<string, string> {
  const query: Record<string, string> = {};
  const keys = new Set([...Object.keys(DEFAULTS), ...params.keys()]);
  for (const key of keys) {
    const value = viewValue(params, key);
    if (VIEW_ONLY.has(key) || value === '' || value === 'all') continue;
    query[key] = value;
  }
  const range = TIME_RANGES[viewValue(params, 'time')];
  if (range && !params.has('from')) query.from = String(Math.floor(now - range));
  return query;
}

/** The filter part of a query (what "all matching" applies to): no paging or sorting. */
export function filterOf(query: Record<string, string>): Record<string, string> {
  const { sort: _s, order: _o, limit: _l, offset: _f, ...filter } = query;
  return filter;
}

/** A view with some parameters changed; paging restarts unless the offset is what changed. */
export function withParams(params: URLSearchParams, changes: Record<string, string | undefined>): URLSearchParams {
  const next = new URLSearchParams(params);
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined || value === DEFAULTS[key]) next.delete(key);
    else next.set(key, value);
  }
  if (!('offset' in changes)) next.delete('offset');
  return next;
}
