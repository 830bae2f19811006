import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundlePath, examplesDir } from './run-cli.js';
import { runCommonJsBundle } from '../../../src/cli/code-cache.js';
import { sealed, unsealed } from '../../../src/rules/cache-files.js';

const scanArgs = ['scan', '-q', '-f', 'jsonl', path.join(examplesDir, 'sysmon-nxlog.jsonl'), path.join(examplesDir, 'linux-sysmon.log')];

/** the bin's scan with a private cache directory; its findings */
function scan(cacheHome: string, env: Record<string, string> = {}, nodeFlags: string[] = [], args = scanArgs): string {
  const run = spawnSync(process.execPath, [...nodeFlags, bundlePath, ...args], { encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: cacheHome, ...env } });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout;
}

function codeCaches(cacheHome: string): string[] {
  const dir = path.join(cacheHome, 'tunnelwatch');
  return readdirSync(dir)
    .filter((name) => name.startsWith('code-'))
    .map((name) => path.join(dir, name));
}

/** a file's bytes and modification time: unchanged only if no run wrote it */
function fingerprint(file: string): [string, bigint] {
  return [readFileSync(file).toString('base64'), statSync(file, { bigint: true }).mtimeNs];
}

function newCacheHome(): string {
  return mkdtempSync(path.join(tmpdir(), 'tw-code-cache-'));
}

test('a scan that compiled its rules from YAML keeps no code cache; the next writes one that later scans read without rewriting it; the findings are those of a scan without any cache', () => {
  const cacheHome = newCacheHome();
  const uncached = scan(cacheHome, { TUNNELWATCH_NO_CACHE: '1' });
  assert.ok(uncached.length > 0, 'the examples have findings');
  assert.equal(readdirSync(cacheHome).length, 0, 'TUNNELWATCH_NO_CACHE=1 writes nothing');
  assert.equal(scan(cacheHome), uncached, 'the run that compiles the rules from YAML');
  assert.deepEqual(codeCaches(cacheHome), [], "that run's bytecode (the YAML compiler's too) is not kept");
  assert.equal(scan(cacheHome), uncached, 'the run that writes the code cache');
  const [cache] = codeCaches(cacheHome);
  assert.equal(codeCaches(cacheHome).length, 1);
  const written = fingerprint(cache);
  assert.equal(scan(cacheHome), uncached, 'the run that reads it');
  assert.equal(scan(cacheHome), uncached);
  // a cache V8 had refused would have been written again at exit
  assert.deepEqual(fingerprint(cache), written, 'the cache was read as it was, not replaced');
});

test('a scan that reads another format, or writes another output, adds its bytecode to the cache; a scan like one before leaves it', () => {
  const cacheHome = newCacheHome();
  const syslog = ['scan', '-q', '-f', 'jsonl', path.join(examplesDir, 'linux-sysmon.log')];
  const windowsXml = ['scan', '-q', '-f', 'jsonl', path.join(examplesDir, 'security-4688-wevtutil.xml')];
  scan(cacheHome, {}, [], syslog);
  scan(cacheHome, {}, [], syslog);
  const [cache] = codeCaches(cacheHome);
  const first = fingerprint(cache);
  scan(cacheHome, {}, [], syslog);
  assert.deepEqual(fingerprint(cache), first, 'the same scan again');
  scan(cacheHome, {}, [], windowsXml);
  const grown = fingerprint(cache);
  assert.notDeepEqual(grown, first, 'Windows XML is new');
  assert.ok(statSync(cache).size > Buffer.from(first[0], 'base64').length, 'the cache holds the XML reader too');
  scan(cacheHome, {}, [], windowsXml);
  scan(cacheHome, {}, [], syslog);
  assert.deepEqual(fingerprint(cache), grown, 'both were seen');
  scan(cacheHome, {}, [], [...syslog.slice(0, 2), '-f', 'csv', syslog[4]]);
  assert.notDeepEqual(fingerprint(cache), grown, 'CSV output is new');
});

for (const [damage, spoil] of [
  ['a byte changed in the middle', (file: string) => {
    const bytes = readFileSync(file);
    bytes[bytes.length >> 1] ^= 0x55;
    writeFileSync(file, bytes);
  }],
  ['cut short', (file: string) => truncateSync(file, statSync(file).size >> 1)],
  ['empty', (file: string) => truncateSync(file, 0)],
] as const) {
  test(`a code cache ${damage} is refused and replaced: the scan prints the same findings`, () => {
    const cacheHome = newCacheHome();
    const expected = scan(cacheHome);
    assert.equal(scan(cacheHome), expected);
    const [cache] = codeCaches(cacheHome);
    spoil(cache);
    const damaged = fingerprint(cache);
    assert.equal(scan(cacheHome), expected);
    assert.notDeepEqual(fingerprint(cache), damaged, 'the damaged file was replaced');
    assert.ok(unsealed(readFileSync(cache)), 'by a whole cache again');
    const replaced = fingerprint(cache);
    assert.equal(scan(cacheHome), expected);
    assert.deepEqual(fingerprint(cache), replaced, 'which the next run reads as it is');
  });
}

test('a sealed code cache that V8 refuses (made with other V8 flags) is replaced, and the scan is unchanged', () => {
  const cacheHome = newCacheHome();
  const expected = scan(cacheHome);
  assert.equal(scan(cacheHome), expected);
  const [plain] = codeCaches(cacheHome);
  // each set of flags has a file of its own: another set's cache, intact, under this set's name
  assert.equal(scan(cacheHome, {}, ['--no-opt']), expected);
  const other = codeCaches(cacheHome).find((file) => file !== plain)!;
  assert.ok(other, 'a run with other V8 flags writes a cache of its own');
  writeFileSync(plain, readFileSync(other));
  const foreign = fingerprint(plain);
  assert.equal(scan(cacheHome), expected);
  assert.notDeepEqual(fingerprint(plain), foreign, 'V8 refused the other flags\' cache, and the run wrote its own');
});

test('runCommonJsBundle refuses a file the bundler did not wrap, naming it', () => {
  const file = path.join(newCacheHome(), 'plain.cjs');
  writeFileSync(file, 'module.exports = { ran: true };\n');
  assert.throws(() => runCommonJsBundle(file), (error: Error) => error.message.includes(file) && /npm run build/.test(error.message));
});

test('sealed bytes unseal to their body; a changed or missing byte, or too few bytes, unseal to nothing', () => {
  const body = Buffer.from('the bytes a cache keeps');
  const bytes = sealed(body);
  assert.deepEqual(unsealed(bytes), body);
  for (let i = 0; i < bytes.length; i += 7) {
    const changed = Buffer.from(bytes);
    changed[i] ^= 1;
    assert.equal(unsealed(changed), undefined, `byte ${i} changed`);
  }
  assert.equal(unsealed(bytes.subarray(0, bytes.length - 1)), undefined);
  assert.equal(unsealed(bytes.subarray(0, 31)), undefined);
  assert.equal(unsealed(undefined), undefined);
});
