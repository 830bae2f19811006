import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ServeRuntime } from '../../../src/serve/server.js';
import { repoRoot } from '../../helpers/paths.js';
import { cliPath, eventually, startServe, TOKEN, withoutEvidencePlaces } from '../../helpers/serve.js';

/**
 * The rsyslog configuration docs/serve.md gives, run unchanged by a real rsyslogd: Sysmon for Linux
 * logs through syslog(3) (here util-linux `logger` on rsyslog's own socket, as the sysmon process
 * would), rsyslog forwards to `serve`'s syslog port, and the findings equal `scan`'s over the same
 * events. The snippet is read from the page, so the page cannot drift from what was tested.
 */
const rsyslogd = '/usr/sbin/rsyslogd';
const skip: string | false =
  existsSync(rsyslogd) || process.env.CI === 'true' ? false : `${rsyslogd} absent: this test runs Debian's rsyslog (apt-get install rsyslog; .ci/run installs it)`;

/** the fenced block under docs/serve.md's rsyslog heading */
function documentedConfig(): string {
  const page = readFileSync(path.join(repoRoot, 'docs', 'serve.md'), 'utf8');
  const block = /^### rsyslog[^\n]*\n+```[^\n]*\n([\s\S]*?)\n```/m.exec(page);
  assert.ok(block, 'docs/serve.md has an rsyslog configuration block');
  return block[1];
}

const sysmonLog = path.join(repoRoot, 'examples', 'linux-sysmon.log');
let serve: ServeRuntime;
let daemon: ChildProcess | undefined;
let dir: string;

before(async () => {
  if (skip) return;
  serve = await startServe({ syslog: { host: '127.0.0.1', port: 0, maxFrameBytes: 64 * 1024 } });
  dir = mkdtempSync(path.join(tmpdir(), 'tw-rsyslog-'));
  const documented = documentedConfig();
  assert.match(documented, /port="5514"/, 'the documented action names port 5514');
  const config = [
    // only what a test needs around the documented rule: its own work dir and socket, no system log
    `global(workDirectory="${dir}" maxMessageSize="64k")`,
    'module(load="imuxsock" SysSock.Use="off")',
    `input(type="imuxsock" Socket="${dir}/log")`,
    documented.replace('port="5514"', `port="${serve.syslog!.port}"`),
  ].join('\n');
  writeFileSync(path.join(dir, 'rsyslog.conf'), config);
  daemon = spawn(rsyslogd, ['-n', '-f', path.join(dir, 'rsyslog.conf'), '-i', path.join(dir, 'rsyslogd.pid')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  daemon.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await eventually(async () => existsSync(path.join(dir, 'log')), 10_000, `rsyslogd's socket (stderr: ${stderr})`);
});

after(async () => {
  if (skip) return;
  daemon?.kill('SIGTERM');
  await serve.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the documented rsyslog rule forwards Sysmon for Linux events to serve, which raises the findings scan gives', { skip }, async () => {
  // each line's message as the sysmon process logs it (rsyslog adds its own header and host)
  const messages = readFileSync(sysmonLog, 'utf8')
    .split('\n')
    .map((l) => /^\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ sysmon(?:\[\d+\])?: (.*)$/.exec(l)?.[1])
    .filter((m): m is string => m !== undefined);
  const events = messages.filter((m) => m.startsWith('<Event>')).length;
  assert.ok(events >= 10, 'the example holds Sysmon events');
  // first a message from another program: the rule selects sysmon's, so it must not arrive (it would come first)
  spawnSync('logger', ['-u', path.join(dir, 'log'), '-t', 'cron', '--', messages.find((m) => m.startsWith('<Event>'))!], { encoding: 'utf8' });
  const sent = spawnSync('logger', ['-u', path.join(dir, 'log'), '-t', 'sysmon', '--id=1033', '--size', '65536'], { input: `${messages.join('\n')}\n`, encoding: 'utf8' });
  assert.equal(sent.status, 0, sent.stderr);

  await eventually(async () => serve.syslog!.stats.messages >= messages.length, 15_000, 'every forwarded message');
  await eventually(async () => serve.syslog!.pending === 0 && serve.processor.lag === 0 && serve.journal.queuedBytes === 0, 30_000, 'the journal to be processed');
  assert.equal(serve.syslog!.stats.messages, messages.length, 'exactly the sysmon messages arrived');

  const scan = spawnSync(process.execPath, [cliPath, 'scan', '-q', '--window', '24h', '-f', 'jsonl', sysmonLog], { encoding: 'utf8' });
  const expected = new Map(
    scan.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((r) => r.kind === 'finding')
      .map((r) => [r.finding_id, r]),
  );
  assert.ok(expected.size > 0, 'scan finds something in the example');
  const res = await fetch(`http://${serve.address}/api/findings?limit=1000`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const items = ((await res.json()) as { items: Array<Record<string, unknown>> }).items;
  assert.equal(items.length, expected.size);
  for (const { triage: _t, revision: _r, updated_at: _u, ...record } of items) {
    assert.deepEqual(withoutEvidencePlaces(record), withoutEvidencePlaces(expected.get(record.finding_id) ?? {}));
  }
});
