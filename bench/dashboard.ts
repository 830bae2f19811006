/**
 * `npm run bench -- --only dashboard` (issue 15): 100,000 findings in the store (SQLite, and
 * PostgreSQL when it is reachable), then over the real API of an in-process `serve`: the queue's
 * first page as the dashboard asks for it (not closed, last 24 h, by urgency), a filter round trip
 * (one host), and a bulk triage of "all matching" 10,000 findings; and the HTML report of the
 * EVTX sample set opened in Chromium (time until its first finding is drawn).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FindingRecord } from '../src/engine/render.js';
import { isSetupProblem, preparePipeline } from '../src/pipeline/setup.js';
import { ServeRuntime } from '../src/serve/server.js';
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

/** the HTML report of the EVTX sample set: ms from navigation until its first finding is drawn (median of 3), and its size */
export async function reportOpenBench(cli: string, sharedData: string, work: string): Promise<{ ms: number; bytes: number; findings: number } | string> {
  const dirs = ['evtx-sysmon', 'evtx-security'].map((d) => path.join(sharedData, d)).filter((d) => existsSync(d));
  if (dirs.length === 0) return `no EVTX sample set under ${sharedData}`;
  if (!existsSync('/usr/bin/chromium')) return '/usr/bin/chromium is missing';
  const out = path.join(work, 'report.html');
  const files = dirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.evtx')).map((f) => path.join(d, f)));
  const scan = spawnSync(process.execPath, [cli, 'scan', '-q', '-f', 'html', '-o', out, ...files], { encoding: 'utf8' });
  if (scan.status !== 0 && scan.status !== 1) return `scan failed: ${scan.stderr}`;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  try {
    const times: number[] = [];
    let findings = 0;
    for (let i = 0; i < 3; i++) {
      const page = await browser.newPage();
      const t0 = performance.now();
      await page.goto(pathToFileURL(out).href);
      await page.locator('article.finding').first().waitFor();
      times.push(performance.now() - t0);
      findings = await page.locator('article.finding').count();
      await page.close();
    }
    const { statSync } = await import('node:fs');
    return { ms: times.sort((a, b) => a - b)[1], bytes: statSync(out).size, findings };
  } finally {
    await browser.close();
  }
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
