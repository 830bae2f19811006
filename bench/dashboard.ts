/**
 * `npm run bench -- --only dashboard` (issue 15): 100,000 findings in the store (SQLite, and
 * PostgreSQL when it is reachable), then over the real API of an in-process `serve`: the queue's
 * first page as the dashboard asks for it (not closed, last 24 h, by urgency), a filter round trip
 * (one host), and a bulk triage of "all matching" 10,000 findings; and the HTML report of the
 * EVTX sample set, and one of 10,000 synthetic findings, opened in Chromium (time until the first
 * finding is drawn).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FindingRecord } from '../src/engine/render.js';
import { isSetupProblem, preparePipeline } from '../src/pipeline/setup.js';
import { ServeRuntime } from '../src/serve/server.js';
import { htmlSink } from '../src/sinks/html.js';
import type { SinkContext } from '../src/sinks/sink.js';
import { openStore } from '../src/store/registry.js';
import type { FindingUpsert } from '../src/store/store.js';

const TOKEN = 'bench-token-0123456789';
const FINDINGS = 100_000;
const DETECTIONS = 10;

export interface DashboardBenchResult {
  store: string;
  fillSeconds: number;
  /** median of 5, ms */
  queueMs: number;
  filterMs: number;
  bulkMs: number;
  bulkMatched: number;
}

function synthetic(i: number, now: number): FindingUpsert {
  const detection = i % DETECTIONS;
  const host = `wks-${String(i % 2000).padStart(4, '0')}.acme.example`;
  const user = `ACME\\user${i % 500}`;
  const last = now - (i % (30 * 24)) * 3600;
  const record: FindingRecord = {
    finding_id: `bench${String(i).padStart(8, '0')}`,
    search_name: `Bench Detection ${detection}`,
    detection_id: `bench-det-${detection}`,
    detection_version: 1,
    detection_type: 'TTP',
    analytic_story: ['Reverse Network Proxy'],
    mitre_attack_id: ['T1572', 'T1090.002'],
    count: 1 + (i % 17),
    firstTime: new Date((last - 60) * 1000).toISOString().slice(0, 19),
    lastTime: new Date(last * 1000).toISOString().slice(0, 19),
    dest: host,
    user,
    process_name: 'ngrok.exe',
    process: `ngrok.exe tcp ${1000 + (i % 60000)} --authtoken bench${i}`,
    risk_message: `ngrok on ${host} by ${user}`,
    risk_objects: [
      { risk_object: host, risk_object_type: 'system', risk_score: 20 + (i % 80) },
      { risk_object: user, risk_object_type: 'user', risk_score: 20 + (i % 80) },
    ],
    threat_objects: [{ threat_object: 'ngrok.exe', threat_object_type: 'process_name' }],
    evidence_count: 1,
    evidence: [{ source: 'bench.jsonl', line: i + 1, offset: i * 800, time: new Date(last * 1000).toISOString(), event_code: '1' }],
  };
  return { record, revision: 1, firstTime: last - 60, lastTime: last };
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[2];
}

async function get(url: string): Promise<void> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  await res.json();
}

export async function dashboardStoreBench(repo: string, storeLocation: string, dataDir: string, label: string): Promise<DashboardBenchResult> {
  const store = await openStore(storeLocation);
  const now = Math.floor(Date.now() / 1000);
  const t0 = performance.now();
  for (let i = 0; i < FINDINGS; i += 2000) {
    await store.commit({ findings: Array.from({ length: Math.min(2000, FINDINGS - i) }, (_, k) => synthetic(i + k, now)) });
  }
  const fillSeconds = (performance.now() - t0) / 1000;
  await store.close();
  const setup = await preparePipeline(
    {
      rules: [path.join(repo, 'content', 'detections')],
      selection: { detections: [] },
      input: { maxRecordBytes: 1 << 20, prefilter: true },
      findings: { windowSeconds: 86_400, allowedLatenessSeconds: 3600, maxGroups: 100_000, showSuppressed: false },
      risk: { windowSeconds: 86_400, threshold: 100, minTactics: 3 },
    },
    { contentRoot: path.join(repo, 'content') },
  );
  if (isSetupProblem(setup)) throw new Error('default content did not load');
  const serve = await ServeRuntime.start({
    host: '127.0.0.1',
    port: 0,
    dataDir,
    store: storeLocation,
    token: TOKEN,
    tokens: [],
    allowQueryStringAuth: false,
    setup,
    maxBodyBytes: 1 << 20,
    maxDecompressedBytes: 1 << 20,
    maxLagBytes: 1 << 28,
    maxQueuedBytes: 1 << 26,
    resendWindow: 1000,
    journalKeepBytes: 1 << 20,
  });
  try {
    const base = `http://${serve.address}/api/findings`;
    const queue = `status=new,in_progress,pending,resolved&from=${now - 86_400}&sort=urgency&order=desc&limit=50`;
    const queueMs = await timed(() => get(`${base}?${queue}`));
    let n = 0;
    const filterMs = await timed(() => get(`${base}?${queue}&host=wks-${String(42 + n++).padStart(4, '0')}.acme.example`));
    let bulkMatched = 0;
    const t = performance.now();
    const res = await fetch(`${base}/triage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ filter: { detection: 'bench-det-3' }, change: { status: 'closed', disposition: 'benign_positive', comment: 'bench: bulk close' } }),
    });
    bulkMatched = ((await res.json()) as { matched: number }).matched;
    const bulkMs = performance.now() - t;
    return { store: label, fillSeconds, queueMs, filterMs, bulkMs, bulkMatched };
  } finally {
    await serve.close();
  }
}

export interface ReportOpen {
  what: string;
  bytes: number;
  findings: number;
  /** in the page: from navigation start until the frame that draws the first finding (median of 3) */
  drawnMs: number;
  /** as the harness sees it: page.goto plus the locator's wait over the DevTools protocol (median of 3) */
  wallMs: number;
}

/** the HTML report of the EVTX sample set, and one of 10,000 synthetic findings, opened from disk in Chromium */
export async function reportOpenBench(cli: string, sharedData: string, work: string): Promise<ReportOpen[] | string> {
  const dirs = ['evtx-sysmon', 'evtx-security'].map((d) => path.join(sharedData, d)).filter((d) => existsSync(d));
  if (dirs.length === 0) return `no EVTX sample set under ${sharedData}`;
  if (!existsSync('/usr/bin/chromium')) return '/usr/bin/chromium is missing';
  const sample = path.join(work, 'report.html');
  const files = dirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.evtx')).map((f) => path.join(d, f)));
  const scan = spawnSync(process.execPath, [cli, 'scan', '-q', '-f', 'html', '-o', sample, ...files], { encoding: 'utf8' });
  if (scan.status !== 0 && scan.status !== 1) return `scan failed: ${scan.stderr}`;
  const large = path.join(work, 'report-10k.html');
  const now = Math.floor(Date.now() / 1000);
  const rows = Array.from({ length: 10_000 }, (_, i) => ({ kind: 'finding', ...synthetic(i, now).record }) as FindingRecord);
  // every synthetic command line starts with `ngrok.exe`: its `ngrok` marked as a `*ngrok*` pattern would
  writeFileSync(large, renderedHtml(rows, { isTTY: false, matchedOf: () => ({ process: [[0, 0, 5]] }) }));
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  try {
    const results: ReportOpen[] = [];
    for (const [what, file] of [['the EVTX sample set', sample], ['10,000 synthetic findings', large]] as const) {
      const drawn: number[] = [];
      const wall: number[] = [];
      let findings = 0;
      for (let i = 0; i < 3; i++) {
        const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
        // the frame that paints the first finding: noted by the page itself, so no protocol round trip counts
        await page.addInitScript(firstFindingDrawn);
        const t0 = performance.now();
        await page.goto(pathToFileURL(file).href);
        await page.locator('article.finding').first().waitFor();
        wall.push(performance.now() - t0);
        await page.waitForFunction(() => (globalThis as { __drawn?: number }).__drawn !== undefined);
        drawn.push(await page.evaluate(() => (globalThis as { __drawn?: number }).__drawn ?? NaN));
        findings = Number((await page.locator('#findings p.muted').first().innerText()).match(/of (\d+)/)?.[1] ?? NaN);
        await page.close();
      }
      results.push({ what, bytes: statSync(file).size, findings, drawnMs: median(drawn), wallMs: median(wall) });
    }
    return results;
  } finally {
    await browser.close();
  }
}

/** run in the page before its own script: notes (as `__drawn`) the frame that paints the first finding */
const firstFindingDrawn = `
  const observer = new MutationObserver(() => {
    if (!document.querySelector('article.finding')) return;
    observer.disconnect();
    requestAnimationFrame(() => { globalThis.__drawn = performance.now(); });
  });
  observer.observe(document, { childList: true, subtree: true });
`;

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

/** the report as `scan -f html` writes it, for rows made here */
function renderedHtml(rows: FindingRecord[], ctx: SinkContext): string {
  const chunks: string[] = [];
  htmlSink.write(rows, { write: (chunk: string) => chunks.push(chunk) } as unknown as NodeJS.WritableStream, ctx);
  return chunks.join('');
}

export async function dashboardBench(cli: string, repo: string, sharedData: string): Promise<{ stores: DashboardBenchResult[]; report: Awaited<ReturnType<typeof reportOpenBench>> }> {
  const work = mkdtempSync(path.join(tmpdir(), 'tw-bench-dash-'));
  const stores: DashboardBenchResult[] = [];
  try {
    stores.push(await dashboardStoreBench(repo, path.join(work, 'findings.sqlite'), path.join(work, 'data-sqlite'), 'SQLite'));
    const schema = `tw_bench_${process.pid}`;
    const pgUrl = `postgres://postgres@127.0.0.1:5432/test?schema=${schema}`;
    try {
      stores.push(await dashboardStoreBench(repo, pgUrl, path.join(work, 'data-pg'), 'PostgreSQL'));
    } catch (error) {
      process.stdout.write(`  PostgreSQL: not measured (${(error as Error).message})\n`);
    } finally {
      const pg = (await import('pg')).default;
      const client = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });
      await client.connect().then(() => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)).catch(() => undefined);
      await client.end().catch(() => undefined);
    }
    return { stores, report: await reportOpenBench(cli, sharedData, work) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
