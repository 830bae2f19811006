import { useEffect, useMemo, useState } from 'preact/hooks';
import { IncidentTable } from '../shared/components.js';
import { colourMap, formatTime, type RiskIncident } from '../shared/model.js';
import { Timeline } from '../shared/timeline.js';
import { api, type RiskEventRow, type RiskObjectSummary } from './api.js';
import { href } from './route.js';

/** Risk per object (user, system): summed score, distinct detections and tactics, the incident flag. */
export function RiskList() {
  const [objects, setObjects] = useState<RiskObjectSummary[]>([]);
  const [incidents, setIncidents] = useState<RiskIncident[]>([]);
  const [error, setError] = useState('');
  useEffect(() => {
    Promise.all([api.riskObjects(new URLSearchParams({ limit: '200' })), api.incidents()])
      .then(([o, i]) => { setObjects(o.items); setIncidents(i.items); })
      .catch((e: Error) => setError(e.message));
  }, []);
  if (error) return <p class="error" role="alert">{error}</p>;
  return (
    <section aria-labelledby="risk-title">
      <h2 id="risk-title">Risk by object</h2>
      <table class="grid">
        <thead><tr><th scope="col">risk object</th><th scope="col">type</th><th scope="col" class="num">score</th><th scope="col" class="num">events</th><th scope="col">detections</th><th scope="col">tactics</th><th scope="col">incident</th><th scope="col">last (UTC)</th></tr></thead>
        <tbody>
          {objects.map((o) => (
            <tr key={`${o.risk_object_type}:${o.risk_object}`}>
              <td class="mono"><a href={href(['risk', o.risk_object_type, o.risk_object])}>{o.risk_object}</a></td>
              <td>{o.risk_object_type}</td>
              <td class="num strong">{o.risk_score}</td>
              <td class="num">{o.risk_event_count}</td>
              <td>{o.detections.length}</td>
              <td>{o.tactics.join(', ')}</td>
              <td>{o.incident ? <span class="flag">incident</span> : ''}</td>
              <td class="mono">{o.lastTime === null ? '' : formatTime(o.lastTime)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Risk incidents</h2>
      <IncidentTable incidents={incidents} />
    </section>
  );
}

const EVENT_CAP = 200;

/** One object's risk events over time (time x score, coloured by detection), capped with a "more" link. */
export function RiskObject({ type, object, params }: { type: string; object: string; params: URLSearchParams }) {
  const limit = Number(params.get('limit') ?? EVENT_CAP);
  const [data, setData] = useState<{ items: RiskEventRow[]; more: boolean } | undefined>();
  const [error, setError] = useState('');
  useEffect(() => {
    api.riskEvents(type, object, limit).then(setData).catch((e: Error) => setError(e.message));
  }, [type, object, limit]);
  const events = data?.items ?? [];
  const colours = useMemo(() => colourMap(events.map((e) => e.search_name)), [data]);
  const points = useMemo(() => events.filter((e) => e._time !== null).map((e) => ({ time: e._time as number, score: e.risk_score, series: e.search_name })), [data]);
  if (error) return <p class="error" role="alert">{error}</p>;
  const total = events.reduce((sum, e) => sum + e.risk_score, 0);
  return (
    <section aria-labelledby="risk-object-title">
      <p><a href={href(['risk'])}>← Risk</a></p>
      <h2 id="risk-object-title">{type} <span class="mono">{object}</span></h2>
      <p><strong>{total}</strong> risk from {events.length} events, {new Set(events.map((e) => e.search_name)).size} detections, tactics: {[...new Set(events.flatMap((e) => e.annotations?.mitre_tactic ?? []))].join(', ')}</p>
      <Timeline points={points} colours={colours} label={`risk events of ${object} over time`} height={280} />
      {data?.more && <p><a href={href(['risk', type, object], { limit: String(limit * 2) })}>More: show up to {limit * 2} events</a></p>}
      <table class="grid">
        <thead><tr><th scope="col">time (UTC)</th><th scope="col" class="num">score</th><th scope="col">detection</th><th scope="col">message</th></tr></thead>
        <tbody>
          {events.map((e, i) => (
            <tr key={i}>
              <td class="mono nowrap">{e._time === null ? '' : formatTime(e._time)}</td>
              <td class="num">{e.risk_score}</td>
              <td><a href={href(['finding', e.finding_id])}>{e.search_name}</a></td>
              <td>{e.risk_message}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
