import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundlePath, cliPath, examplesDir, repoRoot } from './run-cli.js';

const tracer = path.join(repoRoot, 'test/fixtures/startup/trace-packages.mjs');

/** the packages a CLI run resolved, with a private content cache */
function packagesLoadedBy(cli: string, args: string[], cacheHome: string): Set<string> {
  const trace = path.join(cacheHome, `trace-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(trace, '');
  const run = spawnSync(process.execPath, ['--import', tracer, cli, ...args], {
    encoding: 'utf8',
    env: { ...process.env, XDG_CACHE_HOME: cacheHome, TRACE_PACKAGES_FILE: trace },
  });
  assert.equal(run.status, 0, run.stderr);
  return new Set(readFileSync(trace, 'utf8').split('\n').filter(Boolean));
}

for (const [entry, cli] of [['modules (main.js)', cliPath], ['bundle (tunnelwatch.cjs, the bin)', bundlePath]]) {
  test(`${entry}: a one-thread scan served from the content cache loads no YAML, schema, regular-expression, worker-pool, progress-bar, HTTP-server or database library`, () => {
    const cacheHome = mkdtempSync(path.join(tmpdir(), 'tw-startup-'));
    const args = ['scan', '-q', '-f', 'jsonl', path.join(examplesDir, 'linux-sysmon.log')];
    const cold = packagesLoadedBy(cli, args, cacheHome);
    assert.ok(cold.has('yaml'), 'the first run compiles the YAML content, so the tracer must see yaml');
    const warm = packagesLoadedBy(cli, args, cacheHome);
    for (const heavy of ['yaml', 'zod', 're2js', 'piscina', 'cli-progress', 'chokidar', 'fastify', 'pg', 'better-sqlite3']) assert.ok(!warm.has(heavy), `${heavy} was loaded: ${[...warm].join(', ')}`);
    // the modules resolve commander as a package (the tracer sees a warm run's packages); the bundle carries it inside
    assert.equal(warm.has('commander'), cli === cliPath, `commander: ${[...warm].join(', ')}`);
  });
}

for (const [entry, cli] of [['modules (main.js)', cliPath], ['bundle (tunnelwatch.cjs, the bin)', bundlePath]]) {
  test(`${entry}: a scan whose prefilter comes from the saved tables prints what a scan without any cache prints`, () => {
    const cacheHome = mkdtempSync(path.join(tmpdir(), 'tw-startup-'));
    const scan = (env: Record<string, string>) => {
      const run = spawnSync(process.execPath, [cli, 'scan', '-q', '-f', 'jsonl', examplesDir], { encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: cacheHome, ...env } });
      assert.equal(run.status, 0, run.stderr);
      return run.stdout;
    };
    const uncached = scan({ TUNNELWATCH_NO_CACHE: '1' });
    assert.ok(uncached.length > 0, 'the examples have findings');
    assert.equal(scan({}), uncached, 'the run that saves the tables');
    const saved = readdirSync(path.join(cacheHome, 'tunnelwatch')).filter((name) => name.startsWith('derived-'));
    assert.equal(saved.length, 2, "the prefilter's and the candidate indexes' tables were saved");
    assert.equal(scan({}), uncached, 'the run that reads them');
  });
}
