import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ServeRuntime, type ServeOptions } from '../../src/serve/server.js';
import { isSetupProblem, preparePipeline, type PipelineSetup } from '../../src/pipeline/setup.js';
import type { PipelineConfig } from '../../src/pipeline/config.js';
import { defaultContentDir, defaultDetectionsDir } from '../../src/cli/paths.js';
import { cliPath } from './paths.js';

export { cliPath };

export const TOKEN = 'test-token-0123456789';

/** each example file with the sourcetype a Splunk forwarder (or attack_data's replay.py) would send it under */
export const replaySourcetypes: ReadonlyArray<readonly [file: string, sourcetype: string]> = [
  ['windows-sysmon.xml', 'XmlWinEventLog:Microsoft-Windows-Sysmon/Operational'],
  ['security-4688-wevtutil.xml', 'XmlWinEventLog:Security'],
  ['crowdstrike-fdr.jsonl', 'crowdstrike:events:sensor'],
  ['sysmon-nxlog.jsonl', '_json'],
  ['linux-sysmon.log', 'sysmon:linux'],
];

let setup: PipelineSetup | undefined;

/** the default content with 24 h windows, as the tests' servers run it */
const defaultConfig: PipelineConfig = {
  rules: [defaultDetectionsDir],
  selection: { detections: [] },
  input: { maxRecordBytes: 1024 * 1024, prefilter: true },
  findings: { windowSeconds: 24 * 3600, allowedLatenessSeconds: 3600, maxGroups: 100_000, showSuppressed: false },
  risk: { windowSeconds: 24 * 3600, threshold: 100, minTactics: 3 },
};

/** `startServe({ detectionThread })`: detection in a thread of its own with the default content (as `serve` runs by default) */
export const detectionThread: NonNullable<ServeOptions['detectionThread']> = { config: defaultConfig, contentRoot: defaultContentDir };

/** The default content, loaded once per test file. */
export async function defaultSetup(): Promise<PipelineSetup> {
  if (!setup) {
    const loaded = await preparePipeline(defaultConfig, { contentRoot: defaultContentDir });
    if (isSetupProblem(loaded)) throw new Error(`default content failed to load: ${JSON.stringify(loaded)}`);
    setup = loaded;
  }
  return setup;
}

/**
 * A HEC request as a forwarder sends it: after a 503 code 9 (busy: `serve --max-lag-seconds`), the
 * same request again a little later; any other answer is returned.
 */
export async function postAsForwarder(url: string, init: RequestInit): Promise<Response> {
  for (let tries = 1; ; tries++) {
    const res = await fetch(url, init);
    if (res.status !== 503 || tries >= 50) return res;
    const { code } = (await res.clone().json()) as { code: number };
    if (code !== 9) return res;
    await res.arrayBuffer().catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * An in-process server on a random loopback port with its own data directory; detection in a
 * thread of its own as `serve` runs by default (`detectionThread: undefined`: on the HTTP thread).
 */
export async function startServe(overrides: Partial<ServeOptions> = {}): Promise<ServeRuntime> {
  const dataDir = overrides.dataDir ?? mkdtempSync(path.join(tmpdir(), 'tw-serve-'));
  return ServeRuntime.start({
    host: '127.0.0.1',
    port: 0,
    dataDir,
    token: TOKEN,
    tokens: [],
    allowQueryStringAuth: false,
    setup: await defaultSetup(),
    maxBodyBytes: 512 * 1024 * 1024,
    maxDecompressedBytes: 1024 * 1024 * 1024,
    maxLagBytes: 256 * 1024 * 1024,
    maxQueuedBytes: 64 * 1024 * 1024,
    resendWindow: 100_000,
    journalKeepBytes: 256 * 1024 * 1024,
    detectionThread,
    ...overrides,
  });
}

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  stderr(): string;
  stdout(): string;
}

/** `tunnelwatch serve` as a child process (for kill -9; `nodeFlags` go to node, e.g. --trace-gc); resolves once it listens. */
export function spawnServe(args: string[], env: Record<string, string> = {}, nodeFlags: string[] = []): Promise<ServeProcess> {
  const child = spawn(process.execPath, [...nodeFlags, cliPath, 'serve', '--listen', '127.0.0.1:0', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start in 60 s: ${err}`)), 60_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const match = /listening on (http:\/\/\S+)/.exec(err);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1], stderr: () => err, stdout: () => out });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${err}`));
    });
  });
}

/** Waits until `check` resolves true, polling; fails after `ms`. */
export async function eventually(check: () => Promise<boolean>, ms = 30_000, what = 'condition'): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

/**
 * A finding as a stream and a scan of the same events must agree on it: everything but where the
 * evidence sits (an ingest channel and the line in a request body, or a file and its line). What
 * the evidence says of each event (time, event code, channel, record id) must be the same.
 */
export function withoutEvidencePlaces(record: Record<string, unknown>): Record<string, unknown> {
  const evidence = (record.evidence as Array<Record<string, unknown>> | undefined) ?? [];
  return { ...record, evidence: evidence.map((e) => `${e.time} ${e.event_code} ${e.channel} ${e.record}`).sort() };
}
