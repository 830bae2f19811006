/** One metric for the Prometheus text exposition format (version 0.0.4). */
export interface Metric {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  value: number;
  labels?: Record<string, string>;
}

/** The `/metrics` body: HELP and TYPE once per name, then each sample. */
export function prometheusText(metrics: Metric[]): string {
  const lines: string[] = [];
  const described = new Set<string>();
  for (const m of metrics) {
    if (!described.has(m.name)) {
      described.add(m.name);
      lines.push(`# HELP ${m.name} ${m.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${m.name} ${m.type}`);
    }
    const labels = m.labels ? `{${Object.entries(m.labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}` : '';
    lines.push(`${m.name}${labels} ${Number.isFinite(m.value) ? m.value : 'NaN'}`);
  }
  return `${lines.join('\n')}\n`;
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
