import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadContentCached, loadContentEntry, LOADER_VERSION } from '../../../src/rules/content-cache.js';
import { correlationsBeside, loadContent } from '../../../src/rules/content.js';
import { contentDir } from '../../helpers/paths.js';

function sandbox() {
  const root = mkdtempSync(path.join(tmpdir(), 'tw-cache-'));
  process.env.XDG_CACHE_HOME = path.join(root, 'cache');
  const detections = path.join(root, 'content/detections');
  cpSync(path.join(contentDir, 'detections'), detections, { recursive: true });
  cpSync(path.join(contentDir, 'correlations'), correlationsBeside(detections), { recursive: true });
  const dirs = [detections, correlationsBeside(detections)];
  let loads = 0;
  const load = () => {
    loads++;
    return loadContent([detections], [correlationsBeside(detections)]);
  };
  return { root, detections, dirs, load, loads: () => loads };
}

test('a second load comes from the cache and equals a fresh compile', async () => {
  const s = sandbox();
  const first = await loadContentCached(s.dirs, s.load);
  const second = await loadContentCached(s.dirs, s.load);
  assert.equal(s.loads(), 1);
  assert.deepEqual(second, JSON.parse(JSON.stringify(first)));
  assert.equal(readdirSync(path.join(s.root, 'cache/tunnelwatch')).length, 1);
});

test('changing a detection file changes the key, so the stale entry is never used', async () => {
  const s = sandbox();
  await loadContentCached(s.dirs, s.load);
  const file = path.join(s.detections, 'windows_ngrok_reverse_proxy_usage.yml');
  writeFileSync(file, readFileSync(file, 'utf8').replace('version: 12', 'version: 13'));
  const changed = await loadContentCached(s.dirs, s.load);
  assert.equal(s.loads(), 2);
  assert.equal(changed.detections.find((d) => d.name === 'Windows Ngrok Reverse Proxy Usage')?.version, 13);
});

test('content with errors is never cached', async () => {
  const s = sandbox();
  writeFileSync(path.join(s.detections, 'broken.yml'), 'name: [unclosed\n');
  const content = await loadContentCached(s.dirs, s.load);
  assert.ok(content.errors.length > 0);
  await loadContentCached(s.dirs, s.load);
  assert.equal(s.loads(), 2);
});

test('an entry an older loader compiled is not used: a rule the current schema refuses reports its error', async () => {
  const s = sandbox();
  const file = path.join(s.detections, 'windows_ngrok_reverse_proxy_usage.yml');
  // a misspelled key: an older, lenient loader compiled the file without complaint
  writeFileSync(file, readFileSync(file, 'utf8').replace('version: 12', 'version: 12\nverison: 13'));
  const lenient = async () => ({ ...(await loadContent([s.detections], [correlationsBeside(s.detections)])), errors: [] });
  const old = await loadContentCached(s.dirs, lenient, LOADER_VERSION - 1);
  assert.equal(old.errors.length, 0);
  assert.equal(readdirSync(path.join(s.root, 'cache/tunnelwatch')).length, 1, 'the older loader left an entry');
  const current = await loadContentCached(s.dirs, s.load);
  assert.equal(s.loads(), 1, 'the current loader compiled the files itself');
  assert.ok(current.errors.some((e) => e.message.includes('verison')), JSON.stringify(current.errors));
});

test('non-ASCII rule text (look-alike letters, emoji, DEL) is written as ASCII escapes and read back unchanged', async () => {
  const s = sandbox();
  const text = 'c\u0430lc \u{1F600} \u007f \u0130 \u00e9\u2013';
  const load = async () => {
    const content = await s.load();
    content.detections[0].description = text;
    const where = content.detections[0].plan.where;
    content.detections[0].plan.where = { kind: 'and', terms: [where, { kind: 'compare', field: 'process', op: '=', pattern: text }] };
    return content;
  };
  await loadContentCached(s.dirs, load);
  const [entry] = readdirSync(path.join(s.root, 'cache/tunnelwatch'));
  const bytes = readFileSync(path.join(s.root, 'cache/tunnelwatch', entry));
  assert.ok(bytes.every((b) => b < 0x7f), 'the entry is all printable ASCII');
  const cached = await loadContentCached(s.dirs, load);
  assert.equal(s.loads(), 1, 'the second load came from the cache');
  assert.equal(cached.detections[0].description, text);
  assert.deepEqual(cached.detections[0].plan.where, (await load()).detections[0].plan.where, 'the search, kept out of line, too');
});

/** the one content entry in the sandbox's cache */
function entryFile(root: string): string {
  const dir = path.join(root, 'cache/tunnelwatch');
  return path.join(dir, readdirSync(dir).find((name) => name.startsWith('content-'))!);
}

test("an entry read from the cache parses a detection's search and its details when first read, not at load", async () => {
  const s = sandbox();
  const fresh = await loadContentCached(s.dirs, s.load);
  const cached = await loadContentCached(s.dirs, s.load);
  assert.equal(s.loads(), 1);
  const unread = (target: object, key: string) => typeof Object.getOwnPropertyDescriptor(target, key)?.get === 'function';
  assert.ok(cached.detections.length > 1);
  assert.ok(cached.detections.every((d) => unread(d.plan, 'where') && unread(d, 'description') && !unread(d, 'id')), 'no search or details parsed at load');
  const [first, second] = cached.detections;
  assert.deepEqual(second.plan.where, fresh.detections[1].plan.where);
  assert.ok(!unread(second.plan, 'where'), 'a plain property once read');
  assert.deepEqual(second.references, fresh.detections[1].references);
  assert.ok(!unread(second, 'description') && !unread(second, 'risk'), 'all the details at once');
  assert.ok(unread(first.plan, 'where') && unread(first, 'description'), 'the other detections still unread');
  first.description = 'changed';
  assert.equal(first.description, 'changed', 'a detail written before it was read keeps the written value');
  assert.deepEqual(first.references, fresh.detections[0].references, 'and the others are read');
});

test('an entry cut short is refused, and the rules are compiled again', async () => {
  const s = sandbox();
  const fresh = await loadContentCached(s.dirs, s.load);
  const file = entryFile(s.root);
  truncateSync(file, statSync(file).size - 1);
  const again = await loadContentCached(s.dirs, s.load);
  assert.equal(s.loads(), 2);
  assert.deepEqual(JSON.parse(JSON.stringify(again)), JSON.parse(JSON.stringify(fresh)));
});

test("a detection's details whose bytes changed inside a whole entry fail when they are read, naming the entry to delete", async () => {
  const s = sandbox();
  await loadContentCached(s.dirs, s.load);
  const file = entryFile(s.root);
  const bytes = readFileSync(file);
  // the section ends with the last detection's details: their closing brace becomes a stray character
  bytes[bytes.length - 1] = '#'.charCodeAt(0);
  writeFileSync(file, bytes);
  const cached = await loadContentCached(s.dirs, s.load);
  assert.equal(s.loads(), 1, 'the entry is whole, so it is read');
  const last = cached.detections.at(-1)!;
  assert.throws(() => last.description, (e: Error) => e.message.includes('is damaged') && e.message.includes(file) && e.message.includes('TUNNELWATCH_NO_CACHE=1'));
  assert.ok(last.plan.where, 'its search reads as before');
  assert.ok(cached.detections[0].references, 'so do the other details');
});

test('tables derived from an entry are kept beside it, one file per name, and none for content with errors', async () => {
  const s = sandbox();
  const entry = await loadContentEntry(s.dirs, s.load);
  assert.ok(entry.derived, 'a cached entry has derived files');
  const tables = entry.derived('prefilter\0a\0b');
  assert.equal(tables.read(), undefined);
  tables.write(Buffer.from('tables'));
  const again = await loadContentEntry(s.dirs, s.load);
  assert.equal(s.loads(), 1);
  assert.equal(again.derived?.('prefilter\0a\0b').read()?.toString(), 'tables');
  assert.equal(again.derived?.('prefilter\0a').read(), undefined, 'another selection has a file of its own');
  writeFileSync(path.join(s.detections, 'broken.yml'), 'name: [unclosed\n');
  assert.equal((await loadContentEntry(s.dirs, s.load)).derived, undefined);
});

test('the key is remembered by the files\' identities, and a file changed in place (same size, modification time set back) still changes it', async () => {
  const s = sandbox();
  // files changed in the last two seconds are hashed every time: wait until the copies are settled
  await new Promise((resolve) => setTimeout(resolve, 2100));
  const first = await loadContentCached(s.dirs, s.load);
  const memo = readdirSync(path.join(s.root, 'cache/tunnelwatch')).find((name) => name.startsWith('key-'));
  assert.ok(memo, 'the key was remembered');
  await loadContentCached(s.dirs, s.load);
  assert.equal(s.loads(), 1);
  // a remembered key that names no entry: the files were not hashed again, so the content is compiled
  const memoFile = path.join(s.root, 'cache/tunnelwatch', memo);
  const key = readFileSync(memoFile, 'latin1');
  writeFileSync(memoFile, 'f'.repeat(40));
  await loadContentCached(s.dirs, s.load);
  assert.equal(s.loads(), 2, 'the remembered key was used');
  writeFileSync(memoFile, key);
  const file = path.join(s.detections, 'windows_ngrok_reverse_proxy_usage.yml');
  const { atime, mtime } = statSync(file);
  writeFileSync(file, readFileSync(file, 'utf8').replace('version: 12', 'version: 13'));
  utimesSync(file, atime, mtime);
  const changed = await loadContentCached(s.dirs, s.load);
  assert.equal(s.loads(), 3, 'the change was seen');
  assert.notDeepEqual(changed, first);
  assert.equal(changed.detections.find((d) => d.name === 'Windows Ngrok Reverse Proxy Usage')?.version, 13);
});

test('a rules folder with no correlations folder beside it (Sigma\'s) has its key remembered too, and the folder appearing changes the key', async () => {
  const s = sandbox();
  const missing = path.join(s.root, 'content/no-such-correlations');
  const dirs = [s.detections, missing];
  await new Promise((resolve) => setTimeout(resolve, 2100));
  await loadContentCached(dirs, s.load);
  assert.ok(readdirSync(path.join(s.root, 'cache/tunnelwatch')).some((name) => name.startsWith('key-')), 'the key was remembered');
  await loadContentCached(dirs, s.load);
  assert.equal(s.loads(), 1);
  mkdirSync(missing);
  writeFileSync(path.join(missing, 'extra.yml'), 'x: 1\n');
  await loadContentCached(dirs, s.load);
  assert.equal(s.loads(), 2, 'the new file changed the key');
});

test("an entry replaced or pruned after its load does not change what the loaded content's unread parts read", async () => {
  const s = sandbox();
  const fresh = await loadContentCached(s.dirs, s.load);
  const cached = await loadContentCached(s.dirs, s.load);
  assert.equal(s.loads(), 1);
  const file = entryFile(s.root);
  // another run writes the same key again (by rename), then a prune removes it
  writeFileSync(`${file}.other`, 'x'.repeat(statSync(file).size));
  renameSync(`${file}.other`, file);
  rmSync(file);
  assert.deepEqual(JSON.parse(JSON.stringify(cached)), JSON.parse(JSON.stringify(fresh)), 'every search and detail read from the entry as it was loaded');
});

test('an entry file cut short after its load fails the part it can no longer read, naming the entry', async () => {
  const s = sandbox();
  await loadContentCached(s.dirs, s.load);
  const cached = await loadContentCached(s.dirs, s.load);
  const file = entryFile(s.root);
  truncateSync(file, statSync(file).size - 10);
  const last = cached.detections.at(-1)!;
  assert.throws(() => last.description, (e: Error) => e.message.includes(file) && e.message.includes('ended at') && e.message.includes('TUNNELWATCH_NO_CACHE=1'));
  assert.ok(cached.detections[0].plan.where, 'parts still in the file read as before');
});

test('a refused entry leaves no file descriptor open', { skip: existsSync('/proc/self/fd') ? false : 'needs /proc/self/fd (Linux) to count open descriptors' }, async () => {
  const s = sandbox();
  await loadContentCached(s.dirs, s.load);
  const file = entryFile(s.root);
  truncateSync(file, statSync(file).size - 1);
  // descriptors on this test's own files only: content earlier tests loaded from their entries
  // closes its descriptors when collected, at any moment (CI once saw the process's count drop 28 -> 19)
  const open = () =>
    readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`).startsWith(s.root);
      } catch {
        return false; // closed between the listing and the look
      }
    }).length;
  const before = open();
  for (let i = 0; i < 5; i++) {
    truncateSync(entryFile(s.root), statSync(entryFile(s.root)).size - 1);
    await loadContentCached(s.dirs, s.load);
  }
  assert.equal(s.loads(), 6, 'each cut entry was refused and the rules compiled');
  assert.equal(open(), before);
});
