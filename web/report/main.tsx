import { render } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { REPORT_DATA_ID, type ReportData } from '../../src/sinks/report-data.js';
import { FindingCard, IncidentTable, Section, Swatch, TallyTable } from '../shared/components.js';
import { byTime, colourMap, findingTime, formatTime, hostOf, riskOf, tally, textOf, userOf, type FindingRecord } from '../shared/model.js';
import { Timeline, type TimelinePoint } from '../shared/timeline.js';
import '../shared/style.css';

/** Findings (and timeline rows) rendered at once; more on request, so a report of thousands still opens at once. */
const PAGE = 100;

function Report({ data }: { data: ReportData }) {
  const ordered = useMemo(() => byTime(data.findings), [data]);
  const colours = useMemo(() => colourMap(data.findings.map((f) => f.search_name)), [data]);
  const tacticsOf = (f: FindingRecord) => data.tactics[f.detection_id] ?? [];
  const points = useMemo<TimelinePoint[]>(
    () => ordered.filter((f) => Number.isFinite(findingTime(f))).map((f) => ({ time: findingTime(f), score: riskOf(f), series: f.search_name })),
    [ordered],
  );
  const [query, setQuery] = useState('');
  const [shown, setShown] = useState(PAGE);
  const [listed, setListed] = useState(PAGE);
  const matching = useMemo(() => filterFindings(ordered, query), [ordered, query]);
  const hosts = new Set(data.findings.map(hostOf).filter(Boolean));
  const anchorOf = new Map(ordered.map((f, i) => [f, `finding-${i + 1}`]));

  return (
    <main>
      <header class="page">
        <h1>tunnelwatch report</h1>
        <p class="muted">Written {formatTime(Date.parse(data.generated) / 1000)} UTC. All times are UTC.</p>
        <ul class="stats" aria-label="totals">
          <li><strong>{data.findings.length}</strong> findings</li>
          <li><strong>{new Set(data.findings.map((f) => f.detection_id)).size}</strong> detections</li>
          <li><strong>{hosts.size}</strong> hosts</li>
          <li><strong>{data.incidents.length}</strong> risk incidents</li>
        </ul>
        <nav aria-label="sections">
          <a href="#summary">Summary</a> <a href="#incidents">Risk incidents</a> <a href="#timeline">Timeline</a> <a href="#findings">Findings</a>
        </nav>
      </header>

      <Section id="summary" title="Summary">
        <div class="tallies">
          <TallyTable caption="By detection" label="detection" rows={tally(data.findings, (f) => [f.search_name])} />
          <TallyTable caption="By host" label="host" rows={tally(data.findings, (f) => [hostOf(f)])} />
          <TallyTable caption="By ATT&CK tactic" label="tactic" rows={tally(data.findings, (f) => (tacticsOf(f).length ? tacticsOf(f) : ['(unmapped)']))} />
        </div>
      </Section>

      <Section id="incidents" title="Risk incidents">
        <IncidentTable incidents={data.incidents} rule={data.incidentRule} />
      </Section>

      <Section id="timeline" title="Timeline">
        <Timeline points={points} colours={colours} label={`${points.length} findings over time by risk score, coloured by detection`} />
        <table class="grid timeline-list">
          <caption>Findings in time order (first seen)</caption>
          <thead><tr><th scope="col">first seen (UTC)</th><th scope="col">detection</th><th scope="col">host</th><th scope="col">user</th><th scope="col">reason</th></tr></thead>
          <tbody>
            {ordered.slice(0, listed).map((f) => (
              <tr key={f.finding_id}>
                <td class="mono nowrap">{formatTime(findingTime(f))}</td>
                <td><Swatch colour={colours.get(f.search_name)} /> <a href={`#${anchorOf.get(f)}`}>{f.search_name}</a></td>
                <td class="mono">{hostOf(f)}</td>
                <td class="mono">{userOf(f)}</td>
                <td>{f.risk_message ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {ordered.length > listed && (
          <button type="button" onClick={() => setListed(listed + PAGE * 5)}>Show {Math.min(PAGE * 5, ordered.length - listed)} more of {ordered.length}</button>
        )}
      </Section>

      <Section id="findings" title="Findings">
        <label class="search">
          Filter findings <input type="search" value={query} onInput={(e) => { setQuery(e.currentTarget.value); setShown(PAGE); }} placeholder="any text: host, user, command line…" />
        </label>
        <p class="muted" aria-live="polite">{matching.length} of {ordered.length} findings</p>
        {matching.slice(0, shown).map((f) => (
          <FindingCard key={f.finding_id} finding={f} tactics={tacticsOf(f)} colour={colours.get(f.search_name)} anchor={anchorOf.get(f)} matched={data.matched?.[f.finding_id]} />
        ))}
        {matching.length > shown && (
          <button type="button" onClick={() => setShown(shown + PAGE)}>Show {Math.min(PAGE, matching.length - shown)} more</button>
        )}
      </Section>
    </main>
  );
}

function filterFindings(findings: FindingRecord[], query: string): FindingRecord[] {
  const needle = query.trim().toLowerCase();
  if (!needle) return findings;
  return findings.filter((f) => Object.values(f).some((v) => textOf(v).toLowerCase().includes(needle)));
}

const embedded = document.getElementById(REPORT_DATA_ID);
const root = document.getElementById('app');
if (embedded && root) render(<Report data={JSON.parse(embedded.textContent ?? '{}') as ReportData} />, root);
