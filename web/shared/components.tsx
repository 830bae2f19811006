import { Fragment, type ComponentChildren } from 'preact';
import type { MatchedValues } from '../../src/engine/matched-values.js';
import {
  epochOf, evidenceOf, formatTime, findingTime, HEADLINE_KEYS, hostOf, riskOf, textOf, userOf,
  type EvidenceRef, type FindingRecord, type RiskIncident, type Tally,
} from './model.js';

/** Everything here renders log data as text nodes (JSX children and attributes): never as HTML. */

export function Section({ id, title, children }: { id: string; title: string; children: ComponentChildren }) {
  return (
    <section id={id} aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      {children}
    </section>
  );
}

export function TallyTable({ caption, label, rows, onPick }: { caption: string; label: string; rows: Tally[]; onPick?: (label: string) => void }) {
  return (
    <table class="tally">
      <caption>{caption}</caption>
      <thead>
        <tr><th scope="col">{label}</th><th scope="col" class="num">findings</th><th scope="col" class="num">events</th></tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.label}>
            <td>{onPick ? <button type="button" class="link" onClick={() => onPick(row.label)}>{row.label || '(none)'}</button> : row.label || '(none)'}</td>
            <td class="num">{row.findings}</td>
            <td class="num">{row.events}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Swatch({ colour }: { colour: string | undefined }) {
  return <span class="swatch" style={{ background: colour ?? '#555' }} aria-hidden="true" />;
}

export function IncidentTable({ incidents, rule }: { incidents: RiskIncident[]; rule?: string }) {
  if (incidents.length === 0) return <p class="muted">No risk incidents{rule ? ` (${rule})` : ''}.</p>;
  const sorted = [...incidents].sort((a, b) => b.risk_score - a.risk_score || a.firstTime.localeCompare(b.firstTime));
  return (
    <table class="grid incidents">
      {rule && <caption>Raised when {rule}</caption>}
      <thead>
        <tr>
          <th scope="col">risk object</th><th scope="col">type</th><th scope="col" class="num">score</th><th scope="col" class="num">events</th>
          <th scope="col">first (UTC)</th><th scope="col">last (UTC)</th><th scope="col">reasons</th><th scope="col">tactics</th><th scope="col">detections</th>
        </tr>
      </thead>
      <tbody>
        {sorted.map((i) => (
          <tr key={`${i.risk_object_type}:${i.risk_object}:${i.firstTime}`}>
            <td class="mono">{i.risk_object}</td>
            <td>{i.risk_object_type}</td>
            <td class="num strong">{i.risk_score}</td>
            <td class="num">{i.risk_event_count}</td>
            <td class="mono">{i.firstTime}</td>
            <td class="mono">{i.lastTime}</td>
            <td>{i.reasons.join(' + ')}</td>
            <td>{i.mitre_tactics.join(', ')}</td>
            <td>{i.search_names.join('; ')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Where each contributing event came from: file and record/line/offset, or the ingest channel. */
export function EvidenceTable({ evidence, total }: { evidence: EvidenceRef[]; total?: number }) {
  if (evidence.length === 0) return null;
  const columns = [...new Set(evidence.flatMap((e) => Object.keys(e)))];
  return (
    <table class="grid evidence">
      <caption>Evidence{total !== undefined && total > evidence.length ? `: first ${evidence.length} of ${total} events` : ''}</caption>
      <thead><tr>{columns.map((c) => <th scope="col" key={c}>{c}</th>)}</tr></thead>
      <tbody>
        {evidence.map((e, i) => (
          <tr key={i}>{columns.map((c) => <td class="mono" key={c}>{textOf(e[c])}</td>)}</tr>
        ))}
      </tbody>
    </table>
  );
}

/** The columns a finding carries beyond its headline: BY values and aggregates, as Splunk shows them. */
export function FieldTable({ finding, matched }: { finding: FindingRecord; matched?: MatchedValues }) {
  const fields = Object.entries(finding).filter(([key, value]) => !HEADLINE_KEYS.has(key) && value !== undefined && value !== null && value !== '');
  return (
    <table class="fields">
      <tbody>
        {fields.map(([key, value]) => (
          <tr key={key} class={matched?.[key] ? 'matched' : undefined}>
            <th scope="row">{key}</th>
            <td class="mono pre">{matched?.[key] ? <MarkedValues value={value} spans={matched[key]} /> : textOf(value)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * A column's values (one per line) with the parts the detection matched in `<mark>`: the value is
 * cut at the spans and every piece is a text node, so nothing in it can become markup.
 */
export function MarkedValues({ value, spans }: { value: unknown; spans: MatchedValues[string] }) {
  const values = Array.isArray(value) ? value.map(textOf) : [textOf(value)];
  return (
    <>
      {values.map((text, index) => {
        const pieces: ComponentChildren[] = [];
        let at = 0;
        for (const [i, start, end] of spans) {
          if (i !== index || start < at || end > text.length) continue;
          if (start > at) pieces.push(text.slice(at, start));
          pieces.push(<mark key={start}>{text.slice(start, end)}</mark>);
          at = end;
        }
        if (at < text.length) pieces.push(text.slice(at));
        return <Fragment key={index}>{index > 0 && '\n'}{pieces}</Fragment>;
      })}
    </>
  );
}

export function FindingCard({ finding, tactics, colour, anchor, matched }: { finding: FindingRecord; tactics: string[]; colour?: string; anchor?: string; matched?: MatchedValues }) {
  const evidence = evidenceOf(finding);
  const evidenceCount = (finding as Record<string, unknown>).evidence_count;
  const time = findingTime(finding);
  return (
    <article class="finding" id={anchor} aria-label={finding.search_name}>
      <header>
        <h3><Swatch colour={colour} /> {finding.search_name}</h3>
        <p class="meta">
          <span>{finding.detection_type}</span>
          <span>{finding.mitre_attack_id.join(', ')}</span>
          {tactics.length > 0 && <span>{tactics.join(', ')}</span>}
          <span>{finding.count} event{finding.count === 1 ? '' : 's'}</span>
          {Number.isFinite(time) && <span class="mono">{formatTime(time)}{finding.lastTime && finding.lastTime !== finding.firstTime ? ` – ${formatTime(epochOf(finding.lastTime))}` : ''} UTC</span>}
        </p>
      </header>
      {finding.risk_message && <p class="reason">{finding.risk_message}</p>}
      <dl class="entities">
        {hostOf(finding) && <><dt>host</dt><dd class="mono">{hostOf(finding)}</dd></>}
        {userOf(finding) && <><dt>user</dt><dd class="mono">{userOf(finding)}</dd></>}
        {riskOf(finding) > 0 && <><dt>risk</dt><dd>{finding.risk_objects.map((o) => `${o.risk_object_type} ${o.risk_object} +${o.risk_score}`).join(', ')}</dd></>}
        {finding.suppressed_by && <><dt>suppressed by</dt><dd class="mono">{finding.suppressed_by}</dd></>}
      </dl>
      <FieldTable finding={finding} matched={matched} />
      <EvidenceTable evidence={evidence} total={typeof evidenceCount === 'number' ? evidenceCount : undefined} />
      {(finding.drilldowns ?? []).length > 0 && (
        <details class="drilldowns">
          <summary>Drilldowns</summary>
          {finding.drilldowns!.map((d) => (
            <div key={d.name}><p>{d.name}</p><pre class="mono">{d.command}</pre></div>
          ))}
        </details>
      )}
      <p class="id mono">finding {finding.finding_id}</p>
    </article>
  );
}
