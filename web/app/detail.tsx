import { useEffect, useState } from 'preact/hooks';
import { EvidenceTable, FieldTable } from '../shared/components.js';
import { epochOf, evidenceOf, formatTime, hostOf, userOf, type EvidenceRef } from '../shared/model.js';
import { api, type ApiFinding, type FindingDetail, type TriageChange } from './api.js';
import { href } from './route.js';
import { TriageForm } from './triage-form.js';
import { Tune } from './tune.js';

/**
 * One finding: its triage state and history, its columns with the parts of their values the
 * detection's condition matched marked, where each contributing event came from, links into the
 * queue, and the verdicts analysts gave earlier for the same detection and host.
 */
export function Detail({ id, onChanged }: { id: string; onChanged: () => void }) {
  const [detail, setDetail] = useState<FindingDetail | undefined>();
  const [prior, setPrior] = useState<ApiFinding[]>([]);
  const [error, setError] = useState('');
  const load = async () => {
    try {
      const d = await api.finding(id);
      setDetail(d);
      const host = hostOf(d);
      const others = await api.findings(new URLSearchParams({ detection: d.detection_id, ...(host && { host }), limit: '20' }));
      setPrior(others.items.filter((f) => f.finding_id !== id));
    } catch (e) {
      setError((e as Error).message);
    }
  };
  useEffect(() => void load(), [id]);
  if (error) return <p class="error" role="alert">{error}</p>;
  if (!detail) return <p class="muted">Loading…</p>;

  const host = hostOf(detail);
  const user = userOf(detail);
  const evidence: EvidenceRef[] = [...evidenceOf(detail), ...detail.events.map((e) => ({ ...e.origin }))];
  const apply = async (change: TriageChange) => {
    await api.triageOne(id, change);
    await load();
    onChanged();
  };
  return (
    <article class="detail" aria-labelledby="detail-title">
      <p><a href={href([])}>← Queue</a></p>
      <h2 id="detail-title">{detail.search_name}</h2>
      <p class="meta">
        <span>{detail.detection_type}</span> <span>{detail.mitre_attack_id.join(', ')}</span> <span>{detail.analytic_story.join(', ')}</span>{' '}
        <span class="mono">{formatTime(epochOf(detail.firstTime))} – {formatTime(epochOf(detail.lastTime))} UTC</span> <span>{detail.count} events</span>
      </p>
      {detail.risk_message && <p class="reason">{detail.risk_message}</p>}
      <dl class="entities">
        <dt>status</dt><dd>{detail.triage.status.replace(/_/g, ' ')}</dd>
        <dt>urgency</dt><dd>{detail.triage.urgency}</dd>
        <dt>owner</dt><dd>{detail.triage.owner ?? 'unassigned'}</dd>
        <dt>disposition</dt><dd>{(detail.triage.disposition ?? 'none').replace(/_/g, ' ')}</dd>
      </dl>
      <TriageForm formId="detail-triage" target="this finding" onApply={apply} />

      <h3>Fields <span class="muted">(marked: what the detection's condition matched)</span></h3>
      <FieldTable finding={detail} matched={detail.matched} />

      <h3>Evidence</h3>
      {evidence.length > 0 ? <EvidenceTable evidence={evidence} total={detail.count} /> : <p class="muted">No event references stored for this finding.</p>}

      <h3>Pivot</h3>
      <ul class="pivots">
        {host && <li><a href={href([], { host, status: 'all', time: 'all' })}>All findings on {host}</a></li>}
        {user && <li><a href={href([], { user, status: 'all', time: 'all' })}>All findings for {user}</a></li>}
        <li><a href={href([], { detection: detail.detection_id, status: 'all', time: 'all' })}>All findings of this detection</a></li>
        {detail.risk_objects.map((o) => (
          <li key={`${o.risk_object_type}:${o.risk_object}`}><a href={href(['risk', o.risk_object_type, o.risk_object])}>Risk timeline of {o.risk_object_type} {o.risk_object}</a></li>
        ))}
      </ul>

      <Tune findingId={id} onSaved={() => void load()} />

      <h3>Earlier verdicts for this detection{host ? ` on ${host}` : ''}</h3>
      {prior.length === 0 ? <p class="muted">None.</p> : (
        <table class="grid">
          <thead><tr><th scope="col">last seen (UTC)</th><th scope="col">status</th><th scope="col">disposition</th><th scope="col">owner</th></tr></thead>
          <tbody>{prior.map((f) => (
            <tr key={f.finding_id}>
              <td class="mono"><a href={href(['finding', f.finding_id])}>{formatTime(epochOf(f.lastTime))}</a></td>
              <td>{f.triage.status}</td><td>{f.triage.disposition ?? ''}</td><td>{f.triage.owner ?? ''}</td>
            </tr>
          ))}</tbody>
        </table>
      )}

      <h3>History</h3>
      {detail.history.length === 0 ? <p class="muted">No changes yet.</p> : (
        <ol class="history">
          {detail.history.map((h, i) => (
            <li key={i}>
              <span class="mono">{h.at}</span> {h.actor}: {h.field === 'comment' ? 'commented' : `${h.field} ${h.oldValue ?? '—'} → ${h.newValue ?? '—'}`}
              {h.comment && <blockquote>{h.comment}</blockquote>}
            </li>
          ))}
        </ol>
      )}
    </article>
  );
}
