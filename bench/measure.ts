import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileChunks } from '../src/sources/file-blocks.js';

/** What one child process cost: wall and CPU seconds, and its peak resident memory. */
export interface RunCost {
  wall: number;
  user: number;
  sys: number;
  /** peak RSS in MB (VmHWM / getrusage maxrss), NaN when unknown */
  peakMb: number;
  code: number | null;
  stderr: string;
}

const GNU_TIME = '/usr/bin/time';
const POLL_MS = 20;

/**
 * Runs `cmd args` with stdout to `stdoutFile` (or /dev/null). CPU and peak RSS come from GNU time
 * when installed (exact, getrusage of the child); otherwise from polling /proc/<pid>.
 */
export async function runMeasured(cmd: string, args: string[], stdoutFile = '/dev/null'): Promise<RunCost> {
  return existsSync(GNU_TIME) ? runWithGnuTime(cmd, args, stdoutFile) : runPolling(cmd, args, stdoutFile);
}

async function runWithGnuTime(cmd: string, args: string[], stdoutFile: string): Promise<RunCost> {
  const report = path.join(tmpdir(), `tw-bench-time-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const started = performance.now();
  const { code, stderr } = await spawnTo(GNU_TIME, ['-f', '%U %S %M', '-o', report, cmd, ...args], stdoutFile);
  const wall = (performance.now() - started) / 1000;
  const fields = readFileSync(report, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  rmSync(report, { force: true });
  return { wall, user: fields[0], sys: fields[1], peakMb: fields[2] / 1024, code, stderr };
}

async function runPolling(cmd: string, args: string[], stdoutFile: string): Promise<RunCost> {
  let peakKb = Number.NaN;
  let cpuTicks = [0, 0];
  const started = performance.now();
  const done = spawnTo(cmd, args, stdoutFile, (pid) => {
    const timer = setInterval(() => {
      try {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        const hwm = /VmHWM:\s+(\d+)/.exec(status);
        if (hwm) peakKb = Math.max(Number.isNaN(peakKb) ? 0 : peakKb, Number(hwm[1]));
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
        cpuTicks = [Number(stat[11]), Number(stat[12])];
      } catch {
        clearInterval(timer);
      }
    }, POLL_MS);
    return () => clearInterval(timer);
  });
  const { code, stderr } = await done;
  const ticksPerSecond = 100;
  return {
    wall: (performance.now() - started) / 1000,
    user: cpuTicks[0] / ticksPerSecond,
    sys: cpuTicks[1] / ticksPerSecond,
    peakMb: peakKb / 1024,
    code,
    stderr,
  };
}

function spawnTo(
  cmd: string,
  args: string[],
  stdoutFile: string,
  onStart?: (pid: number) => () => void,
): Promise<{ code: number | null; stderr: string }> {
  const out = openSync(stdoutFile, 'w');
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', out, 'pipe'] });
    const stop = child.pid !== undefined && onStart ? onStart(child.pid) : undefined;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 1 << 16) stderr += d.toString();
    });
    child.on('error', (e) => {
      stop?.();
      closeSync(out);
      reject(e);
    });
    child.on('close', (code) => {
      stop?.();
      closeSync(out);
      resolve({ code, stderr });
    });
  });
}

/**
 * Seconds to read `files` in Node as the sources read them (src/sources/file-blocks.ts: one reused
 * 1 MiB buffer). A read stream's fresh buffer per read costs a page fault per 4 KiB: on 434 small
 * EVTX files that was 0.41 s against `cat`'s 0.04 s, a floor no reader need pay.
 */
export async function readFloor(files: string[]): Promise<number> {
  const started = performance.now();
  for (const file of files) for await (const block of fileChunks(file)) void block;
  return (performance.now() - started) / 1000;
}

/** Seconds to read `files` (as readFloor) and find every line end in Node: the framing floor of a text source. */
export async function splitFloor(files: string[]): Promise<{ seconds: number; lines: number }> {
  const started = performance.now();
  let lines = 0;
  for (const file of files) {
    for await (const buf of fileChunks(file)) for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) lines++;
  }
  return { seconds: (performance.now() - started) / 1000, lines };
}

/** Best of `n` runs: the least disturbed by other load on the machine. */
export async function bestOf(n: number, run: () => Promise<RunCost>): Promise<RunCost> {
  let best: RunCost | undefined;
  for (let i = 0; i < n; i++) {
    const cost = await run();
    if (!best || cost.wall < best.wall) best = cost;
  }
  return best!;
}

export function commandExists(cmd: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(path.join(dir, cmd)));
}

/** user + system CPU seconds of a stat(5) file: a process (all its threads) or one thread */
function statSeconds(file: string): number {
  const fields = readFileSync(file, 'utf8').replace(/^.*\) /s, '').split(' ');
  // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux)
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** user + system CPU seconds a running process has used, all its threads (Linux /proc) */
export function cpuSeconds(pid: number): number {
  return statSeconds(`/proc/${pid}/stat`);
}

/** CPU seconds of each live thread of a process by thread id (the main thread's id is the pid; Node names every thread "node") */
export function threadCpuSeconds(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      out.set(Number(tid), statSeconds(`/proc/${pid}/task/${tid}/stat`));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}
