import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatTime } from './model.js';

export interface TimelinePoint {
  /** epoch seconds */
  time: number;
  score: number;
  /** the series (detection) it belongs to, which decides its colour */
  series: string;
}

interface TimelineProps {
  points: TimelinePoint[];
  colours: Map<string, string>;
  /** what the chart shows, for screen readers */
  label: string;
  height?: number;
}

/** Time x score, one colour per series: uPlot on a canvas (labels are set as text, never as HTML). */
export function Timeline({ points, colours, label, height = 240 }: TimelineProps) {
  const container = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = container.current;
    if (!element || points.length === 0) return;
    const { names, data } = alignedSeries(points);
    const plot = new uPlot(
      {
        width: Math.max(element.clientWidth, 320),
        height,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(10, Math.ceil(max * 1.15))] } },
        axes: [{ space: 70, values: (_u, splits) => splits.map((t) => `${formatTime(t).slice(5, 10)}\n${formatTime(t).slice(11, 16)}`) }, { label: 'risk score', size: 56 }],
        legend: { live: false },
        cursor: { drag: { x: true, y: false } },
        series: [
          { label: 'time (UTC)', value: (_u, v) => (v === null ? '' : formatTime(v)) },
          ...names.map((name) => {
            const colour = colours.get(name) ?? '#555';
            return { label: name, stroke: colour, paths: () => null, points: { show: true, size: 10, fill: colour, stroke: colour } };
          }),
        ],
      },
      data,
      element,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(element.clientWidth, 320), height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [points, colours, height]);
  if (points.length === 0) return <p class="muted">Nothing to draw: no finding has a time.</p>;
  return <div class="timeline" ref={container} role="img" aria-label={label} data-points={points.length} />;
}

/** uPlot wants one ascending x array and one y array per series, null where a series has no point. */
function alignedSeries(points: TimelinePoint[]): { names: string[]; data: uPlot.AlignedData } {
  const names = [...new Set(points.map((p) => p.series))].sort();
  const xs = [...new Set(points.map((p) => p.time))].sort((a, b) => a - b);
  const column = new Map(xs.map((x, i) => [x, i]));
  const rows = new Map(names.map((name) => [name, xs.map((): number | null => null)]));
  for (const p of points) {
    const row = rows.get(p.series)!;
    const i = column.get(p.time)!;
    row[i] = Math.max(row[i] ?? 0, p.score);
  }
  return { names, data: [xs, ...names.map((name) => rows.get(name)!)] };
}
