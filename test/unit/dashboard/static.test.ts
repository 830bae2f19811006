import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import Fastify from 'fastify';
import { dashboardCsp, dashboardDir, registerDashboard } from '../../../src/dashboard/static.js';

async function served(): Promise<{ base: string; close: () => Promise<void> }> {
  const app = Fastify({ logger: false });
  await registerDashboard(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address() as { port: number };
  return { base: `http://127.0.0.1:${address.port}`, close: () => app.close() };
}

test('the dashboard page is served with a CSP that allows only its own script and style files (no inline script, no eval)', async () => {
  const { base, close } = await served();
  try {
    const res = await fetch(`${base}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.equal(csp, dashboardCsp);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    const html = await res.text();
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.ok(scripts.length > 0, 'the page loads its script');
    for (const [, attributes, body] of scripts) {
      assert.match(attributes, /\bsrc="\/assets\/[^"]+\.js"/, 'every script is a file of the app');
      assert.equal(body.trim(), '', 'no inline script');
    }
    assert.doesNotMatch(html, /https?:\/\//, 'nothing from another origin (no CDN)');
  } finally {
    await close();
  }
});

test('the built assets are served with their types; paths outside the assets folder are 404', async () => {
  const { base, close } = await served();
  try {
    const assets = readdirSync(path.join(dashboardDir, 'assets'));
    const js = assets.find((a) => a.endsWith('.js'));
    const css = assets.find((a) => a.endsWith('.css'));
    assert.ok(js && css, `the build made a script and a stylesheet: ${assets.join(', ')}`);
    const script = await fetch(`${base}/assets/${js}`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.match(script.headers.get('cache-control') ?? '', /immutable/);
    assert.match((await fetch(`${base}/assets/${css}`)).headers.get('content-type') ?? '', /^text\/css/);
    for (const probe of ['/assets/..%2findex.html', '/assets/%2e%2e/%2e%2e/package.json', '/assets/missing.js', '/assets/x.map']) {
      assert.equal((await fetch(`${base}${probe}`)).status, 404, probe);
    }
  } finally {
    await close();
  }
});
