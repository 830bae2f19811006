import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { colourMap, formatTime, epochOf, hostOf, riskTotal, tally, userOf, type FindingRecord } from '../shared/model.js';
import { Swatch, TallyTable } from '../shared/components.js';
import { api, dispositions, triageStatuses, urgencies, type ApiFinding, type TriageChange } from './api.js';
import { apiQuery, filterOf, TIME_CHOICES, viewValue, withParams } from './filters.js';
import { href, navigate } from './route.js';
import { TriageForm } from './triage-form.js';
import { useLiveFindings } from './live.js';

const COLUMNS: Array<{ label: string; sort?: string }> = [
  { label: 'last seen', sort: 'last_time' }, { label: 'first seen', sort: 'first_time' }, { label: 'detection', sort: 'search_name' },
  { label: 'host' }, { label: 'user' }, { label: 'urgency', sort: 'urgency' }, { label: 'risk', sort: 'risk_score' }, { label: 'status' },
  { label: 'owner' }, { label: 'disposition' }, { label: 'count', sort: 'count' }, { label: 'reason' },
];
const GROUP_SAMPLE = 1000;

export function Queue({ params, onChanged }: { params: URLSearchParams; onChanged: () => void }) {
  const query = useMemo(() => apiQuery(params), [params]);
  const [page, setPage] = useState<{ items: ApiFinding[]; total: number } | undefined>();
  const [error, setError] = useState('');
  const [cursor, setCursor] = useState(0);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [allMatching, setAllMatching] = useState(false);
  const [notice, setNotice] = useState('');
  const search = useRef<HTMLInputElement>(null);

  const load = useCallback(async () => {
    try {
      setPage(await api.findings(new URLSearchParams(query)));
      setError('');
    } catch (e) {
      setError((e as Error).message);
    }
  }, [query]);
  useEffect(() => {
    setSelected(new Set());
    setAllMatching(false);
    setCursor(0);
    void load();
  }, [load]);

  // live: changed rows update in place (they never move under the cursor); new ones wait behind a pill
  const fresh = useLiveFindings((changed) => {
    setPage((p) => p && { ...p, items: p.items.map((row) => ({ ...row, ...changed.find((c) => c.finding_id === row.finding_id) })) });
    return changed.filter((c) => !page?.items.some((row) => row.finding_id === c.finding_id)).map((c) => c.finding_id);
  });

  const items = page?.items ?? [];
  const colours = useMemo(() => colourMap(items.map((f) => f.search_name)), [items]);
  const go = (changes: Record<string, string | undefined>) => navigate([], withParams(params, changes));

  const toggle = (id: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      setAllMatching(false);
      return next;
    });

  const apply = async (change: TriageChange) => {
    const result = allMatching ? await api.triageMatching(filterOf(query), change) : await api.triageIds([...selected], change);
    setNotice(`Updated ${result.matched} finding${result.matched === 1 ? '' : 's'}.`);
    setSelected(new Set());
    setAllMatching(false);
    await load();
    onChanged();
  };

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement;
      if (event.ctrlKey || event.metaKey || event.altKey || /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName)) return;
      const row = items[cursor];
      if (event.key === 'j') setCursor((c) => Math.min(c + 1, items.length - 1));
      else if (event.key === 'k') setCursor((c) => Math.max(c - 1, 0));
      else if (event.key === 'x' && row) toggle(row.finding_id);
      else if (event.key === 'e') {
        if (row && selected.size === 0) toggle(row.finding_id);
        setTimeout(() => document.querySelector<HTMLSelectElement>('#queue-triage select')?.focus());
      } else if (event.key === '/') search.current?.focus();
      else if (event.key === 'Enter' && row) navigate(['finding', row.finding_id]);
      else return;
      event.preventDefault();
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [items, cursor, selected]);

  const sort = viewValue(params, 'sort');
  const descending = viewValue(params, 'order') === 'desc';
  const offset = Number(viewValue(params, 'offset'));
  const limit = Number(viewValue(params, 'limit'));
  const group = params.get('group') ?? '';

  return (
    <div class="queue">
      <form class="filters" role="search" aria-label="filter findings" onSubmit={(e) => { e.preventDefault(); go(textFilters(e.currentTarget)); }}>
        <label>Search <input ref={search} type="search" name="q" defaultValue={params.get('q') ?? ''} placeholder="any text ( / )" /></label>
        <FilterInput label="Host" name="host" params={params} go={go} />
        <FilterInput label="User" name="user" params={params} go={go} />
        <FilterInput label="Detection" name="detection" params={params} go={go} />
        <FilterInput label="Technique" name="technique" params={params} go={go} size={8} />
        <FilterInput label="Owner" name="owner" params={params} go={go} size={10} placeholder="me, unassigned" />
        <FilterSelect label="Status" name="status" params={params} go={go} choices={['new,in_progress,pending,resolved', 'all', ...triageStatuses]} names={{ 'new,in_progress,pending,resolved': 'not closed' }} />
        <FilterSelect label="Urgency" name="urgency" params={params} go={go} choices={['all', ...urgencies]} />
        <FilterSelect label="Disposition" name="disposition" params={params} go={go} choices={['all', 'none', ...dispositions]} />
        <FilterSelect label="Time" name="time" params={params} go={go} choices={TIME_CHOICES} />
        <FilterSelect label="Group by" name="group" params={params} go={go} choices={['', 'detection', 'host', 'user']} names={{ '': 'none' }} />
        <button type="submit">Filter</button>
      </form>

      {fresh.count > 0 && (
        <button type="button" class="pill" onClick={() => { fresh.clear(); void load(); }}>{fresh.count} new — show</button>
      )}
      {error && <p class="error" role="alert">{error}</p>}
      {notice && <p class="notice" role="status">{notice}</p>}

      {group ? (
        <Groups by={group} query={query} go={go} />
      ) : (
        <>
          <div class="bulk" aria-live="polite">
            {page && <span>{page.total} matching</span>}
            {selected.size > 0 && !allMatching && (
              <>
                <span>{selected.size} selected</span>
                {page && page.total > selected.size && (
                  <button type="button" class="link" onClick={() => setAllMatching(true)}>Select all {page.total} matching</button>
                )}
              </>
            )}
            {allMatching && page && <span class="strong">All {page.total} matching findings selected</span>}
          </div>
          {(selected.size > 0 || allMatching) && (
            <TriageForm formId="queue-triage" target={allMatching ? `all ${page?.total} matching` : `${selected.size} selected`} onApply={apply} />
          )}
          <table class="grid findings-table">
            <thead>
              <tr>
                <th scope="col"><span class="sr-only">select</span></th>
                {COLUMNS.map((c) => (
                  <th scope="col" key={c.label} aria-sort={c.sort === sort ? (descending ? 'descending' : 'ascending') : undefined}>
                    {c.sort ? (
                      <button type="button" class="link" onClick={() => go({ sort: c.sort, order: c.sort === sort && descending ? 'asc' : 'desc' })}>
                        {c.label}{c.sort === sort ? (descending ? ' ▼' : ' ▲') : ''}
                      </button>
                    ) : c.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {items.map((f, i) => (
                <tr key={f.finding_id} class={i === cursor ? 'cursor' : undefined} aria-selected={selected.has(f.finding_id) || allMatching} onClick={() => setCursor(i)}>
                  <td><input type="checkbox" aria-label={`select ${f.search_name} on ${hostOf(f)}`} checked={selected.has(f.finding_id) || allMatching} onChange={() => toggle(f.finding_id)} /></td>
                  <ShortTime time={f.lastTime} />
                  <ShortTime time={f.firstTime} />
                  <td class="clip detection-cell" title={f.search_name}><Swatch colour={colours.get(f.search_name)} /><a href={href(['finding', f.finding_id])}>{f.search_name}</a></td>
                  <td class="mono clip" title={hostOf(f)}>{hostOf(f)}</td>
                  <td class="mono clip" title={userOf(f)}>{userOf(f)}</td>
                  <td><span class={`urgency ${f.triage.urgency}`}>{f.triage.urgency}</span></td>
                  <td class="num">{riskTotal(f) || ''}</td>
                  <td>{f.triage.status.replace(/_/g, ' ')}</td>
                  <td>{f.triage.owner ?? ''}</td>
                  <td>{(f.triage.disposition ?? '').replace(/_/g, ' ')}</td>
                  <td class="num">{f.count}</td>
                  <td class="reason-cell" title={f.risk_message ?? ''}>{f.risk_message ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {page && page.items.length === 0 && <p class="muted">No findings match. Widen the time range or the status filter.</p>}
          {page && page.total > limit && (
            <nav class="pager" aria-label="pages">
              <button type="button" disabled={offset === 0} onClick={() => go({ offset: String(Math.max(0, offset - limit)) })}>Previous</button>
              <span>{offset + 1}–{Math.min(offset + limit, page.total)} of {page.total}</span>
              <button type="button" disabled={offset + limit >= page.total} onClick={() => go({ offset: String(offset + limit) })}>Next</button>
            </nav>
          )}
          <p class="muted keys">Keys: j/k move, x select, e edit, / search, Enter open.</p>
        </>
      )}
    </div>
  );
}

/** `MM-DD HH:MM` in the row (the year is rarely news in a queue), the full UTC time on hover. */
function ShortTime({ time }: { time: string | undefined }) {
  const full = formatTime(epochOf(time));
  return <td class="mono nowrap" title={`${full} UTC`}>{full.slice(5, 16)}</td>;
}

type Go = (changes: Record<string, string | undefined>) => void;

const TEXT_FILTERS = ['q', 'host', 'user', 'detection', 'technique', 'owner'];

/** Every text filter of the form at once (Enter in any box applies them all). */
function textFilters(form: HTMLFormElement): Record<string, string | undefined> {
  const data = new FormData(form);
  return Object.fromEntries(TEXT_FILTERS.map((name) => [name, String(data.get(name) ?? '').trim() || undefined]));
}

function FilterInput({ label, name, params, go, size = 14, placeholder }: { label: string; name: string; params: URLSearchParams; go: Go; size?: number; placeholder?: string }) {
  return (
    <label>{label} <input name={name} size={size} placeholder={placeholder} defaultValue={params.get(name) ?? ''} key={params.get(name) ?? ''}
      onChange={(e) => go({ [name]: e.currentTarget.value.trim() || undefined })} /></label>
  );
}

function FilterSelect({ label, name, params, go, choices, names = {} }: { label: string; name: string; params: URLSearchParams; go: Go; choices: string[]; names?: Record<string, string> }) {
  const value = viewValue(params, name) || choices[0];
  return (
    <label>{label} <select name={name} value={value} onChange={(e) => go({ [name]: e.currentTarget.value || undefined })}>
      {choices.map((c) => <option key={c} value={c}>{names[c] ?? c.replace(/_/g, ' ')}</option>)}
    </select></label>
  );
}

/** Counts per detection, host or user over the matching findings; a click narrows the queue to one. */
function Groups({ by, query, go }: { by: string; query: Record<string, string>; go: Go }) {
  const [data, setData] = useState<{ items: ApiFinding[]; total: number } | undefined>();
  useEffect(() => {
    void api.findings(new URLSearchParams({ ...query, limit: String(GROUP_SAMPLE), offset: '0' })).then(setData);
  }, [query]);
  if (!data) return <p class="muted">Counting…</p>;
  const labelOf = by === 'host' ? hostOf : by === 'user' ? userOf : (f: FindingRecord) => f.search_name;
  const filterKey = by === 'detection' ? 'detection' : by;
  return (
    <>
      {data.total > data.items.length && <p class="muted">Counted over the first {data.items.length} of {data.total} matching findings.</p>}
      <TallyTable caption={`Findings by ${by}`} label={by} rows={tally(data.items, (f) => [labelOf(f)])} onPick={(label) => go({ group: undefined, [filterKey]: label })} />
    </>
  );
}
