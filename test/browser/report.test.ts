import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { artefactPath, chromiumMissing, launchChromium } from '../helpers/chromium.js';
import { hostileCommandLine, hostileSysmonLine, hostileUser } from '../helpers/hostile.js';
import { examplesDir, runCli } from '../unit/cli/run-cli.js';

function writeReport(inputs: string[]): string {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'tw-report-')), 'report.html');
  const run = runCli(['scan', '-q', '-f', 'html', '-o', out, ...inputs]);
  assert.equal(run.status, 0, run.stderr);
  return out;
}

interface Opened {
  page: Page;
  requests: string[];
  problems: string[];
  dialogs: string[];
}

/** Opens a report from disk, recording every request, console error, page error and dialog. */
async function openReport(browser: Browser, file: string): Promise<Opened> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const opened: Opened = { page, requests: [], problems: [], dialogs: [] };
  page.on('request', (r) => opened.requests.push(r.url()));
  page.on('console', (m) => { if (m.type() === 'error') opened.problems.push(m.text()); });
  page.on('pageerror', (e) => opened.problems.push(e.message));
  page.on('dialog', (d) => { opened.dialogs.push(d.message()); void d.dismiss(); });
  await page.goto(pathToFileURL(file).href);
  await page.locator('article.finding').first().waitFor();
  return opened;
}

test('browser: the HTML report of the examples opens from disk with no request beyond its file, draws the timeline and lists the story', { skip: chromiumMissing }, async () => {
  const file = writeReport([examplesDir]);
  const browser = await launchChromium();
  try {
    const started = performance.now();
    const { page, requests, problems } = await openReport(browser, file);
    const openMs = performance.now() - started;
    assert.deepEqual(requests, [pathToFileURL(file).href], 'only the report itself is loaded');
    assert.deepEqual(problems, [], 'no script error and no CSP violation of the report\'s own script or style');
    const detections = await page.locator('#summary table.tally').first().locator('tbody tr').count();
    assert.ok(detections >= 7, `the summary lists the story's detections (${detections})`);
    assert.ok((await page.locator('#timeline canvas').count()) > 0, 'uPlot drew the timeline');
    assert.equal(Number(await page.locator('.timeline').getAttribute('data-points')), await page.locator('article.finding').count());
    assert.ok((await page.locator('#incidents tbody tr').count()) > 0, 'the examples raise risk incidents');
    await page.screenshot({ path: artefactPath('report-summary.png') });
    await page.locator('#timeline-title').evaluate((heading) => heading.scrollIntoView());
    await page.screenshot({ path: artefactPath('report-timeline.png') });
    // filtering is client-side over every field
    await page.getByLabel('Filter findings').fill('build-lnx-07');
    const shown = await page.locator('article.finding').count();
    assert.ok(shown >= 1 && shown < detections, `the filter narrows the findings (${shown})`);
    process.stdout.write(`# report of examples/ rendered in ${openMs.toFixed(0)} ms\n`);
  } finally {
    await browser.close();
  }
});

test('browser: the HTML report marks exactly the text each detection matched, as text nodes (ngrok.exe whole, the matched words of its command line)', { skip: chromiumMissing }, async () => {
  const browser = await launchChromium();
  try {
    const { page, problems } = await openReport(browser, writeReport([examplesDir]));
    const card = page.locator('article.finding').filter({ hasText: 'Windows Ngrok Reverse Proxy Usage' }).first();
    const row = (column: string) => card.locator('table.fields tr.matched').filter({ has: page.locator('th', { hasText: new RegExp(`^${column}$`) }) });
    // textContent: cards out of view are not rendered (content-visibility), so their innerText is empty
    const processName = (await row('process_name').locator('td').textContent()) ?? '';
    assert.match(processName, /ngrok/i);
    assert.deepEqual(await row('process_name').locator('mark').allTextContents(), [processName], 'an exact pattern marks the whole value');
    const marks = await row('process').locator('mark').allTextContents();
    assert.ok(marks.length > 0, 'the command line has marks');
    for (const m of marks) assert.ok(['start', '--config', 'http', 'authtoken', 'tcp'].includes(m.toLowerCase()), `"${m}" is a word the condition names, not the whole command line`);
    assert.equal(await card.locator('table.fields tr', { hasText: 'parent_process_name' }).locator('mark').count(), 0, 'an untested column has no mark');
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});

test('browser: an event whose fields hold <script> and "><img onerror=...> renders as visible text in the HTML report, and nothing runs', { skip: chromiumMissing }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tw-hostile-'));
  const input = path.join(dir, 'hostile.jsonl');
  writeFileSync(input, `${hostileSysmonLine()}\n`);
  const browser = await launchChromium();
  try {
    const { page, dialogs, problems } = await openReport(browser, writeReport([input]));
    assert.equal(await page.evaluate(() => (globalThis as { __pwned?: string }).__pwned), undefined, 'no injected script ran');
    assert.deepEqual(dialogs, [], 'no alert() fired');
    assert.equal(await page.locator('img').count(), 0, 'no <img> element was created from log data');
    assert.equal(await page.locator('script').count(), 2, 'no script element was added');
    assert.deepEqual(problems, []);
    const text = await page.locator('body').innerText();
    assert.ok(text.includes(hostileCommandLine), 'the command line is shown, verbatim, as text');
    assert.ok(text.includes(hostileUser), 'the user is shown, verbatim, as text');
    await page.getByText(hostileUser).first().waitFor({ state: 'visible' });
  } finally {
    await browser.close();
  }
});
