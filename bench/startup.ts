import path from 'node:path';
import { loadavg } from 'node:os';
import { runMeasured, type RunCost } from './measure.js';
import { fmt, target } from './targets.js';

/** Issue 20: a scan of a small file starts, scans and exits within this (Node's own start-up included). */
const STARTUP_LIMIT_MS = 100;
/** alternating pairs: the machine's slower and faster phases fall on both sides alike */
const RUNS = 15;

export interface StartupFigures {
  file: string;
  runs: number;
  /** medians, milliseconds: wall and CPU (user + sys) of the scan and of `node -e 0` */
  scan: { wallMs: number; cpuMs: number };
  node: { wallMs: number; cpuMs: number };
  /**
   * The same pair with NODE_EXTRA_CA_CERTS unset, when the environment sets it: Node then loads
   * that CA bundle at every start (about 45 ms on the bench VM), before any of our code runs.
   */
  withoutExtraCerts?: { scan: { wallMs: number; cpuMs: number }; node: { wallMs: number; cpuMs: number } };
  loadAverage: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function medians(costs: RunCost[]): { wallMs: number; cpuMs: number } {
  return { wallMs: median(costs.map((c) => c.wall * 1000)), cpuMs: median(costs.map((c) => (c.user + c.sys) * 1000)) };
}

/**
 * Start-up of `tunnelwatch scan -q <small file>` (the bin, a child process, the content cache
 * warm: one untimed run first) against `node -e 0`, alternating, medians of RUNS each.
 */
async function startupBench(cli: string, file: string): Promise<StartupFigures> {
  const scanArgs = [cli, 'scan', '-q', file];
  const warm = await runMeasured(process.execPath, scanArgs);
  if (warm.code !== 0) throw new Error(`scan of ${file} exited ${warm.code}: ${warm.stderr.trim()}`);
  const loadBefore = loadavg()[0];
  const pairs = async (run: (args: string[]) => Promise<RunCost>) => {
    const scans: RunCost[] = [];
    const nodes: RunCost[] = [];
    for (let i = 0; i < RUNS; i++) {
      nodes.push(await run(['-e', '0']));
      scans.push(await run(scanArgs));
    }
    return { scan: medians(scans), node: medians(nodes) };
  };
  const asIs = await pairs((args) => runMeasured(process.execPath, args));
  const withoutExtraCerts = process.env.NODE_EXTRA_CA_CERTS ? await pairs((args) => runMeasured('env', ['-u', 'NODE_EXTRA_CA_CERTS', process.execPath, ...args])) : undefined;
  return { file: path.basename(file), runs: RUNS, ...asIs, ...(withoutExtraCerts && { withoutExtraCerts }), loadAverage: (loadBefore + loadavg()[0]) / 2 };
}

/** The bench's start-up line and its target. */
export async function startupWorkload(cli: string, file: string): Promise<void> {
  const r = await startupBench(cli, file);
  process.stdout.write(`\nstart-up (scan -q ${r.file} against node -e 0, ${r.runs} alternating runs each, medians; load average ${fmt(r.loadAverage, 1)}):\n`);
  process.stdout.write(`  scan ${fmt(r.scan.wallMs, 0)} ms wall, ${fmt(r.scan.cpuMs, 0)} ms CPU; node -e 0 ${fmt(r.node.wallMs, 0)} ms wall, ${fmt(r.node.cpuMs, 0)} ms CPU\n`);
  process.stdout.write(`  (information) tunnelwatch's own part (scan less node -e 0): ${fmt(r.scan.wallMs - r.node.wallMs, 0)} ms wall\n`);
  const w = r.withoutExtraCerts;
  if (w) {
    process.stdout.write(
      `  (information) NODE_EXTRA_CA_CERTS unset: scan ${fmt(w.scan.wallMs, 0)} ms wall, ${fmt(w.scan.cpuMs, 0)} ms CPU; node -e 0 ${fmt(w.node.wallMs, 0)} ms wall, ${fmt(w.node.cpuMs, 0)} ms CPU (this environment's CA bundle costs every Node start ${fmt(r.node.wallMs - w.node.wallMs, 0)} ms)\n`,
    );
  }
  target(`start-up: scan of a small file < ${STARTUP_LIMIT_MS} ms`, r.scan.wallMs < STARTUP_LIMIT_MS, `${fmt(r.scan.wallMs, 0)} ms (node -e 0: ${fmt(r.node.wallMs, 0)} ms)`);
}
