import { useEffect, useState } from 'preact/hooks';
import { api, dispositions } from './api.js';
import { href } from './route.js';

interface DetectionRow {
  id: string;
  name: string;
  type: string;
  findings: number;
  open: number;
  /** findings per disposition */
  verdicts: Record<string, number>;
}

/** Detections are listed from this many findings; every count after that is exact (asked of the server). */
const SAMPLE = 1000;

/**
 * Each detection with findings: how many, how many still open, the analysts' dispositions, and the
 * false-positive rate = false positives / findings with a verdict.
 */
export function Detections() {
  const [rows, setRows] = useState<DetectionRow[] | undefined>();
  const [sampled, setSampled] = useState(false);
  const [error, setError] = useState('');
  useEffect(() => {
    (async () => {
      const sample = await api.findings(new URLSearchParams({ limit: String(SAMPLE), sort: 'search_name', order: 'asc' }));
      setSampled(sample.total > sample.items.length);
      const detections = new Map(sample.items.map((f) => [f.detection_id, { id: f.detection_id, name: f.search_name, type: f.detection_type }]));
      const count = async (filter: Record<string, string>) => (await api.findings(new URLSearchParams({ ...filter, limit: '0' }))).total;
      const result: DetectionRow[] = [];
      for (const d of detections.values()) {
        const [findings, open, ...perVerdict] = await Promise.all([
          count({ detection: d.id }),
          count({ detection: d.id, status: 'new,in_progress,pending' }),
          ...dispositions.map((v) => count({ detection: d.id, disposition: v })),
        ]);
        result.push({ ...d, findings, open, verdicts: Object.fromEntries(dispositions.map((v, i) => [v, perVerdict[i]])) });
      }
      setRows(result.sort((a, b) => b.findings - a.findings || a.name.localeCompare(b.name)));
    })().catch((e: Error) => setError(e.message));
  }, []);
  if (error) return <p class="error" role="alert">{error}</p>;
  if (!rows) return <p class="muted">Counting…</p>;
  return (
    <section aria-labelledby="detections-title">
      <h2 id="detections-title">Detections</h2>
      {sampled && <p class="muted">Detections taken from the first {SAMPLE} findings by name; their counts are exact.</p>}
      <table class="grid detections">
        <thead>
          <tr>
            <th scope="col">detection</th><th scope="col">type</th><th scope="col" class="num">findings</th><th scope="col" class="num">open</th>
            {dispositions.map((v) => <th scope="col" class="num" key={v}>{v.replace(/_/g, ' ')}</th>)}
            <th scope="col" class="num">FP rate</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const judged = dispositions.reduce((sum, v) => sum + r.verdicts[v], 0);
            return (
              <tr key={r.id}>
                <td><a href={href([], { detection: r.id, status: 'all', time: 'all' })}>{r.name}</a></td>
                <td>{r.type}</td>
                <td class="num">{r.findings}</td>
                <td class="num">{r.open}</td>
                {dispositions.map((v) => <td class="num" key={v}>{r.verdicts[v] || ''}</td>)}
                <td class="num fp-rate">{judged === 0 ? '—' : `${Math.round((100 * r.verdicts.false_positive) / judged)}%`}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
