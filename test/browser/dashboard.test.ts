import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { ServeRuntime } from '../../src/serve/server.js';
import { artefactPath, chromiumMissing, launchChromium } from '../helpers/chromium.js';
import { hostileCommandLine, hostileSysmonLine, hostileUser } from '../helpers/hostile.js';
import { repoRoot } from '../helpers/paths.js';
import { eventually, replaySourcetypes, startServe, TOKEN } from '../helpers/serve.js';

/** the examples are from March 2026: every view below asks for all time */
const ALL = 'time=all&status=all';

let serve: ServeRuntime;
let base: string;
let browser: Browser;

async function apiGet<T>(url: string): Promise<T> {
  const res = await fetch(`${base}${url}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(res.status, 200, url);
  return (await res.json()) as T;
}

async function sendRaw(body: string | Buffer, sourcetype: string): Promise<void> {
  const res = await fetch(`${base}/services/collector/raw?sourcetype=${encodeURIComponent(sourcetype)}&host=replay`, {
    method: 'POST',
    headers: { authorization: `Splunk ${TOKEN}` },
    body,
  });
  assert.equal(res.status, 200, await res.text());
}

async function total(query: string): Promise<number> {
  return (await apiGet<{ total: number }>(`/api/findings?limit=1&${query}`)).total;
}

/** a signed-in page (the token is exchanged for the HttpOnly session cookie through the sign-in form) */
async function signedIn(problems: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${base}/`);
  await page.getByLabel('Token').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('table.findings-table').waitFor();
  // from here on (signed in) no request may fail and no script may throw
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(e.message));
  return page;
}

/** waits until the selector matches exactly n elements */
async function countReaches(page: Page, selector: string, n: number): Promise<void> {
  await eventually(async () => (await page.locator(selector).count()) === n, 10_000, `${n} × ${selector}`);
}

before(async () => {
  if (chromiumMissing) return;
  serve = await startServe();
  base = `http://${serve.address}`;
  for (const [file, sourcetype] of replaySourcetypes) await sendRaw(readFileSync(path.join(repoRoot, 'examples', file)), sourcetype);
  await eventually(async () => (await total('')) >= 40, 60_000, 'the examples to be processed');
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await serve?.close();
});

test('dashboard: the queue lists the story findings; filtering by host narrows it and survives a reload (the URL)', { skip: chromiumMissing }, async () => {
  const problems: string[] = [];
  const page = await signedIn(problems);
  await page.goto(`${base}/#/?${ALL}&limit=100`);
  await page.locator('table.findings-table tbody tr').first().waitFor();
  const all = await total('');
  assert.ok((await page.locator('.bulk').innerText()).includes(`${all} matching`));
  const detections = new Set(await page.locator('table.findings-table tbody td:nth-child(4)').allInnerTexts());
  for (const name of ['Windows Ngrok Reverse Proxy Usage', 'Linux Ngrok Reverse Proxy Usage', 'Windows Devtunnels Execution', 'Windows Potential Cloudflared Tunnel Execution']) {
    assert.ok([...detections].some((d) => d.includes(name)), `${name} is listed`);
  }
  await page.screenshot({ path: artefactPath('dashboard-queue.png') });

  await page.getByLabel('Host', { exact: true }).fill('build-lnx-07');
  await page.getByLabel('Host', { exact: true }).press('Enter');
  await page.waitForURL(/host=build-lnx-07/);
  const narrowed = await total('host=build-lnx-07');
  assert.ok(narrowed > 0 && narrowed < all);
  await countReaches(page, 'table.findings-table tbody tr', narrowed);
  await page.reload();
  await page.locator('table.findings-table tbody tr').first().waitFor();
  assert.equal(await page.locator('table.findings-table tbody tr').count(), narrowed, 'the filter came back from the URL');
  assert.equal(await page.getByLabel('Host', { exact: true }).inputValue(), 'build-lnx-07');
  assert.deepEqual(problems, []);
  await page.close();
});

test('dashboard: bulk-closing "all N matching" with a disposition updates the store (and the detections page), and closing without one is refused', { skip: chromiumMissing }, async () => {
  const problems: string[] = [];
  const page = await signedIn(problems);
  await page.goto(`${base}/#/?${ALL}&detection=Tunnel%20Service%20Domain%20DNS%20Query&limit=2`);
  await page.locator('table.findings-table tbody tr').first().waitFor();
  const matching = await total('detection=Tunnel%20Service%20Domain%20DNS%20Query');
  assert.ok(matching > 2, `more findings match (${matching}) than the page shows`);
  // keyboard: j moves, x selects
  await page.keyboard.press('j');
  await page.keyboard.press('x');
  await page.getByRole('button', { name: `Select all ${matching} matching` }).click();
  const form = page.locator('#queue-triage');
  await form.getByLabel('Status').selectOption('closed');
  await form.getByLabel('Comment').fill('lab DNS resolver, benign');
  await form.getByRole('button', { name: 'Apply' }).click();
  await form.getByRole('alert').filter({ hasText: 'disposition is required' }).waitFor();
  assert.equal(await total('detection=Tunnel%20Service%20Domain%20DNS%20Query&status=closed'), 0, 'nothing closed without a verdict');
  await form.getByLabel('Disposition').selectOption('benign_positive');
  await form.getByRole('button', { name: 'Apply' }).click();
  await page.getByRole('status').filter({ hasText: `Updated ${matching} findings` }).waitFor();
  assert.equal(await total('detection=Tunnel%20Service%20Domain%20DNS%20Query&status=closed&disposition=benign_positive'), matching);
  const one = (await apiGet<{ items: Array<{ finding_id: string }> }>('/api/findings?detection=Tunnel%20Service%20Domain%20DNS%20Query&limit=1')).items[0];
  const history = (await apiGet<{ history: Array<{ field: string; comment: string | null }> }>(`/api/findings/${one.finding_id}`)).history;
  assert.ok(history.some((h) => h.field === 'status') && history.some((h) => h.comment === 'lab DNS resolver, benign'), 'the change and its comment are in the history');
  // the verdicts feed the detections page: all benign, none false, so a 0 % false-positive rate
  await page.goto(`${base}/#/detections`);
  const row = page.locator('table.detections tbody tr').filter({ hasText: 'Tunnel Service Domain DNS Query' });
  await row.waitFor();
  const cells = await row.locator('td').allInnerTexts();
  assert.deepEqual([cells[2], cells[3], cells[5], cells[cells.length - 1]], [String(matching), '0', String(matching), '0%'], cells.join(' | '));
  assert.deepEqual(problems, []);
  await page.close();
});

test('dashboard: the finding detail marks exactly the text the detection matched (ngrok.exe whole, the matched words inside the command line) and lists where the events came from', { skip: chromiumMissing }, async () => {
  const problems: string[] = [];
  const page = await signedIn(problems);
  const ngrok = (await apiGet<{ items: Array<{ finding_id: string }> }>('/api/findings?detection=Windows%20Ngrok%20Reverse%20Proxy%20Usage&limit=1')).items[0];
  const detail = await apiGet<{ process: string; process_name: string; matched: Record<string, Array<[number, number, number]>> }>(`/api/findings/${ngrok.finding_id}`);
  // the detection: process_name=ngrok.exe and process IN ("*start*", "*--config*", "*http*", "*authtoken*", "*tcp*")
  assert.deepEqual(detail.matched.process_name, [[0, 0, detail.process_name.length]]);
  assert.ok(detail.matched.process.length > 0);
  await page.goto(`${base}/#/finding/${ngrok.finding_id}`);
  await page.locator('#detail-title').waitFor();
  const row = (column: string) => page.locator('table.fields tr.matched').filter({ has: page.locator('th', { hasText: new RegExp(`^${column}$`) }) });
  assert.deepEqual(await row('process_name').locator('mark').allInnerTexts(), [detail.process_name]);
  const marks = await row('process').locator('mark').allInnerTexts();
  assert.deepEqual(marks, detail.matched.process.map(([, start, end]) => detail.process.slice(start, end)), 'one <mark> per matched span, around exactly its text');
  for (const m of marks) assert.ok(['start', '--config', 'http', 'authtoken', 'tcp'].includes(m.toLowerCase()), `"${m}" is a word the condition names`);
  assert.equal(await row('process').locator('td').innerText(), detail.process, 'the value is whole: marked and unmarked pieces, nothing added or lost');
  assert.equal(await page.locator('table.fields tr', { hasText: 'parent_process_name' }).locator('mark').count(), 0, 'a column the condition does not test has no mark');
  assert.ok((await page.locator('table.evidence tbody tr').count()) > 0, 'the contributing events are listed');
  assert.match(await page.locator('table.evidence').innerText(), /replay|XmlWinEventLog|Security|channel/i);
  await page.screenshot({ path: artefactPath('dashboard-detail.png'), fullPage: false });
  assert.deepEqual(problems, []);
  await page.close();
});

test('dashboard: tune from a finding drafts the filter-macro entry, previews what it would suppress, and saves it (noted in the history)', { skip: chromiumMissing }, async () => {
  const problems: string[] = [];
  const page = await signedIn(problems);
  const ngrok = (await apiGet<{ items: Array<{ finding_id: string }> }>('/api/findings?detection=Windows%20Ngrok%20Reverse%20Proxy%20Usage&limit=1')).items[0];
  await page.goto(`${base}/#/finding/${ngrok.finding_id}`);
  await page.getByRole('button', { name: 'Draft a suppression from this finding' }).click();
  const preview = page.locator('section.tune p.preview');
  await preview.waitFor();
  assert.match(await preview.innerText(), /Would suppress 1 of \d+ stored findings of this detection/);
  assert.match(await page.locator('section.tune textarea').inputValue(), /^search NOT \(/);
  // an edited filter must be previewed again before it can be saved
  await page.locator('section.tune textarea').fill('search NOT dest="*"');
  assert.equal(await preview.count(), 0);
  await page.getByRole('button', { name: 'Preview' }).click();
  await preview.waitFor();
  const all = await total('detection=Windows%20Ngrok%20Reverse%20Proxy%20Usage');
  assert.match(await preview.innerText(), new RegExp(`Would suppress ${all} of ${all}`));
  await page.getByRole('button', { name: /^Save to / }).click();
  await page.locator('section.tune').getByRole('status').filter({ hasText: 'Saved:' }).waitFor();
  await page.locator('ol.history').filter({ hasText: 'tuning windows_ngrok_reverse_proxy_usage_filter saved' }).waitFor();
  assert.deepEqual(problems, []);
  await page.close();
});

test('dashboard: the risk page lists objects and draws a risk timeline for one', { skip: chromiumMissing }, async () => {
  const problems: string[] = [];
  const page = await signedIn(problems);
  await page.goto(`${base}/#/risk`);
  await page.locator('#risk-title').waitFor();
  const first = page.locator('section table.grid tbody tr td a').first();
  await first.waitFor();
  await page.goto(`${base}/#/risk/system/${encodeURIComponent('WKS-FIN-014.acme.example')}`);
  await page.locator('.timeline canvas').first().waitFor();
  assert.ok(Number(await page.locator('.timeline').getAttribute('data-points')) > 1, 'several risk events drawn');
  await page.screenshot({ path: artefactPath('dashboard-risk.png') });
  assert.deepEqual(problems, []);
  await page.close();
});

test('dashboard: a new event sent over HEC appears live as an "N new" pill, and hostile values render as text', { skip: chromiumMissing }, async () => {
  const problems: string[] = [];
  const page = await signedIn(problems);
  await page.goto(`${base}/#/?${ALL}&limit=100`);
  await page.locator('table.findings-table tbody tr').first().waitFor();
  const before = await page.locator('table.findings-table tbody tr').count();
  await sendRaw(`${hostileSysmonLine()}\n`, '_json');
  await page.locator('button.pill').waitFor({ timeout: 30_000 });
  assert.match(await page.locator('button.pill').innerText(), /^\d+ new/);
  assert.equal(await page.locator('table.findings-table tbody tr').count(), before, 'rows do not move until asked');
  await page.locator('button.pill').click();
  await page.getByLabel('Search', { exact: true }).fill('SRV-XSS-01');
  await page.getByLabel('Search', { exact: true }).press('Enter');
  await page.waitForURL(/q=SRV-XSS-01/);
  const row = page.locator('table.findings-table tbody tr').first();
  await row.waitFor();
  await row.locator('a').click();
  await page.locator('#detail-title').waitFor();
  const text = await page.locator('main').innerText();
  assert.ok(text.includes(hostileCommandLine) && text.includes(hostileUser), 'the hostile values are shown verbatim');
  assert.equal(await page.evaluate(() => (globalThis as { __pwned?: string }).__pwned), undefined, 'no injected script ran');
  assert.equal(await page.locator('main img').count(), 0);
  assert.deepEqual(problems, []);
  await page.close();
});
