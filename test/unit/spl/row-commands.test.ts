import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Row } from '../../../src/engine/finding.js';
import { compileRowSetPipeline, compileRowStages } from '../../../src/engine/row-stages.js';
import { loadLookupLibrary, parseCsv } from '../../../src/rules/escu-lookups.js';
import { compileSearch } from '../../../src/rules/spl/compile.js';
import type { LookupLibrary } from '../../../src/rules/spl/lookup-command.js';

/**
 * The commands after tstats, compiled from SPL and run by the engine's row pipeline on rows with
 * the columns dest, user, process, process_name, count (the tstats below, after drop_dm_object_name).
 */
const rows = '| tstats count from datamodel=Endpoint.Processes by Processes.dest Processes.user Processes.process Processes.process_name | `drop_dm_object_name(Processes)`';

function pipeline(commands: string, lookups?: LookupLibrary): (row: Row) => Row | undefined {
  const { output, errors } = compileSearch(`${rows} | ${commands}`, undefined, lookups);
  assert.deepEqual(errors, []);
  return compileRowStages(output!.rowStages);
}

/** errors of the commands, as `col message` (one line of SPL: col counts from the start of `rows`) */
function errorsOf(commands: string, lookups?: LookupLibrary): string[] {
  const spl = `${rows} | ${commands}`;
  return compileSearch(spl, undefined, lookups).errors.map((e) => `${spl.slice(e.col - 1, e.col + 9)}|${e.message}`);
}

describe('eval', () => {
  test('arithmetic on numeric text, `.` concatenation, precedence, assignments left to right', () => {
    const run = pipeline('eval total = count * 2 + 1, label = dest . ":" . user, twice = total - count');
    assert.deepEqual(run({ dest: 'h1', user: 'u', count: 5 }), { dest: 'h1', user: 'u', count: 5, total: 11, label: 'h1:u', twice: 6 });
    // Splunk's eval: `+` of two texts joins them; a number and a text, or a null operand, give null, and null removes the column
    const run2 = pipeline('eval x = dest + user, y = count + dest, z = count + process');
    assert.deepEqual(run2({ dest: 'a', user: 'b', count: 1 }), { dest: 'a', user: 'b', count: 1, x: 'ab' });
  });

  test('if, case, coalesce, substr (negative start counts from the end), len', () => {
    // ESCU single_letter_process_on_endpoint: endExe = if(substr(process_name, -4) == ".exe", 1, 0)
    const run = pipeline('eval n = len(process_name), endExe = if(substr(process_name, -4) == ".exe", 1, 0), kind = case(n < 6, "short", true(), "long"), who = coalesce(dest, user)');
    assert.deepEqual(run({ process_name: 'a.exe', user: 'u' }), { process_name: 'a.exe', user: 'u', n: 5, endExe: 1, kind: 'short', who: 'u' });
    assert.deepEqual(run({ process_name: 'abcdef.dll', user: 'u' }), { process_name: 'abcdef.dll', user: 'u', n: 10, endExe: 0, kind: 'long', who: 'u' });
    assert.equal(pipeline('eval s = substr(dest, 2, 3)')({ dest: 'abcdef' })!.s, 'bcd');
  });

  test('split keeps empty pieces; mvcount, mvindex (0-based, negative from the end) as ESCU counts path depth', () => {
    // ESCU windows_admin_permission_discovery: split(file_path, "\\") then mvcount and mvindex(..., 0)
    const run = pipeline('eval parts = split(process, "\\\\"), depth = mvcount(parts), root = mvindex(parts, 0), last = mvindex(parts, -1)');
    assert.deepEqual(run({ process: 'C:\\a.exe' }), { process: 'C:\\a.exe', parts: ['C:', 'a.exe'], depth: 2, root: 'C:', last: 'a.exe' });
    assert.equal(run({ process: 'C:\\x\\' })!.depth, 3, 'a trailing separator leaves an empty last piece');
    // ESCU path traversal: (mvcount(split(process,"/.."))-1) counts occurrences
    assert.equal(pipeline('eval n = (mvcount(split(process,"/.."))-1)')({ process: 'a/../../b' })!.n, 2);
  });

  test('replace() runs the linear-time engine; \\1 is the first group', () => {
    assert.equal(pipeline('eval d = replace(dest, "^(\\w+)\\.corp$", "\\1")')({ dest: 'web01.corp' })!.d, 'web01');
    assert.equal(pipeline('eval d = lower(replace(dest, "-", ""))')({ dest: 'A-B-C' })!.d, 'abc');
  });

  test('refusals are located: a truth value stored, an unknown function, an unknown column, a backtracking regex', () => {
    assert.deepEqual(errorsOf('eval bad = count > 3'), ['bad = coun|eval bad: a column cannot hold a truth value; use if(condition, value, otherwise)']);
    assert.match(errorsOf('eval t = now()')[0], /^now\(\)\|eval function not supported: now\(\)/);
    assert.match(errorsOf('eval t = relative_time(count, "-1x@d")')[0], /^relative_t\|relative_time\(\): unknown time unit `x` in `-1x@d`/);
    assert.match(errorsOf('eval t = relative_time(count, dest)')[0], /^relative_t\|relative_time\(\) needs a quoted time modifier/);
    assert.match(errorsOf('eval t = nope + 1')[0], /^nope \+ 1\|no output column nope/);
    assert.match(errorsOf('eval t = replace(dest, "(a)\\\\1", "")')[0], /^replace\(de\|replace\(\): not a linear-time regular expression/);
  });
});

describe('where and search over rows', () => {
  test('where compares two columns when the right side is an unquoted word (Splunk eval semantics)', () => {
    // ESCU detect_path_interception_by_creation_of_program_exe: where process_name != service_process
    const run = pipeline('eval service = lower(process_name) | where process_name != service');
    assert.equal(run({ process_name: 'A.exe' })?.service, 'a.exe');
    assert.equal(run({ process_name: 'a.exe' }), undefined);
  });

  test('where with arithmetic on both sides; search with > compares numbers as numbers', () => {
    const run = pipeline('eval avg = 10, stdev = 2 | where count > avg+stdev*2');
    assert.notEqual(run({ count: 15 }), undefined);
    assert.equal(run({ count: 14 }), undefined);
    const search = pipeline('search count > 9');
    assert.notEqual(search({ count: 10 }), undefined, 'not "10" < "9" as text');
    assert.equal(search({ count: 9 }), undefined);
  });
});

describe('match() with a pattern built from columns (ESCU windows_lolbas_executed_as_renamed_file)', () => {
  test('"(?i)".column is compiled per row on the linear-time engine: its `.` is a regex wildcard, as in Splunk', () => {
    const run = pipeline('eval original = user | where NOT match(process_name, "(?i)".original)');
    assert.equal(run({ process_name: 'NOTEPAD.EXE', user: 'notepad.exe' }), undefined, 'same name, other case: matches, so NOT drops it');
    assert.equal(run({ process_name: 'notepadXexe', user: 'notepad.exe' }), undefined, '`.` matches any character');
    assert.notEqual(run({ process_name: 'svc.exe', user: 'notepad.exe' }), undefined, 'renamed binary: kept');
  });

  test('a row whose pattern RE2 cannot run (a backreference) gives null, never a backtracking match', () => {
    const run = pipeline('where match(process_name, user)');
    assert.equal(run({ process_name: 'aa', user: '(a)\\1' }), undefined);
    assert.notEqual(run({ process_name: 'xaby', user: 'a.' }), undefined);
  });
});

describe('bin / bucket', () => {
  test('span= floors a number to the start of its span (ESCU internal_horizontal_port_scan: eval gtime=_time | bin span=1h gtime)', () => {
    const run = pipeline('eval gtime = count | bin span=1h gtime | bucket count span=1d as day');
    assert.deepEqual(run({ count: 1_700_003_599 }), { count: 1_700_003_599, gtime: 1_700_000_000 - (1_700_000_000 % 3600) + 3600, day: 1_699_920_000 });
    assert.deepEqual(run({ count: 'x' }), { count: 'x', gtime: 'x', day: 'x' }, 'a value that is no number stays');
  });

  test('refusals are located: no span, a span without a time unit, bins=', () => {
    assert.match(errorsOf('bin count')[0], /^count\|bin needs span=/);
    assert.match(errorsOf('bin span=10 count')[0], /^10 count\|bin span= needs a time span such as 1h/);
    assert.match(errorsOf('bin bins=10 count')[0], /^bins=10 co\|bin option `bins=` is not supported/);
    assert.match(errorsOf('bin span=1h nope')[0], /^nope\|no output column nope/);
  });
});

describe('rex', () => {
  test('named groups of the first match become columns; no match leaves the row as it was', () => {
    // ESCU file_with_samsam_extension: rex field=file_name "(?<file_extension>\.[^\.]+)$"
    const run = pipeline('rex field=process_name "(?<ext>\\.[^\\.]+)$" | rex field=process "base64\\s+(?<flag>-{1,2}d\\w*)"');
    assert.deepEqual(run({ process_name: 'a.stubbin', process: 'x' }), { process_name: 'a.stubbin', process: 'x', ext: '.stubbin' });
    assert.deepEqual(run({ process_name: 'noext', process: 'echo x | base64 --decode' }), { process_name: 'noext', process: 'echo x | base64 --decode', flag: '--decode' });
  });

  test('\\x{202E} and (?i) work as RE2 reads them (ESCU detect_rtlo_in_process)', () => {
    const run = pipeline('rex field=process "(?<before>.+)(?<rtlo>\\x{202E})(?<after>.+)" | eval process = before.after | fields - before rtlo after');
    assert.equal(run({ process: 'evil\u202Eexe.txt' })!.process, 'evilexe.txt');
  });

  test('refusals are located: lookaround, no field=, no named group, an unknown column', () => {
    assert.match(errorsOf('rex field=process "(?<x>a(?=b))"')[0], /^"\(\?<x>a\(\?=\|rex: not a linear-time regular expression/);
    assert.match(errorsOf('rex "(?<x>a)"')[0], /^rex "\(\?<x>\|rex without field= reads _raw/);
    assert.match(errorsOf('rex field=process "a+"')[0], /^"a\+"\|rex: the expression names no group/);
    assert.match(errorsOf('rex field=nope "(?<x>a)"')[0], /^nope "\(\?<x\|no output column nope/);
  });
});

describe('lookup (CSV lookups as ESCU lookups/*.yml define them)', () => {
  let dir: string;
  let library: LookupLibrary;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tw-lookups-'));
    // as attacker_tools.yml: WILDCARD(...), case_sensitive_match 'false', min_matches 1, default_match 'false'
    await writeFile(path.join(dir, 'tools.yml'), "name: tools\nfilename: tools.csv\nmatch_type: WILDCARD(tool)\nmin_matches: 1\ndefault_match: 'false'\ncase_sensitive_match: 'false'\n");
    await writeFile(path.join(dir, 'tools.csv'), 'tool,description,family\r\nremcom.exe,"psexec clone, open source",psexec\r\n*mimikatz*,credential dumper,mimi\r\nMIMI*.EXE,"a ""second"" row",mimi\r\n');
    await writeFile(path.join(dir, 'exact.yml'), 'name: exact\nfilename: exact.csv\nmax_matches: 1\n');
    await writeFile(path.join(dir, 'exact.csv'), 'host,owner\nweb01,alice\nweb01,bob\n');
    await writeFile(path.join(dir, 'kv.yml'), 'name: kv\ncollection: kv\nfields_list: a, b\n');
    library = await loadLookupLibrary(dir);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('CSV: quoted commas and doubled quotes, CRLF rows', () => {
    assert.deepEqual(parseCsv('a,b\r\n"x, y","say ""hi"""\r\n'), [['a', 'b'], ['x, y', 'say "hi"']]);
  });

  test('wildcard and case-insensitive matching; every match in file order, each value once', () => {
    const run = pipeline('lookup tools tool as process_name OUTPUT description family', library);
    assert.equal(run({ process_name: 'RemCom.exe' })!.description, 'psexec clone, open source');
    const both = run({ process_name: 'mimikatz.exe' })!;
    assert.deepEqual(both.description, ['credential dumper', 'a "second" row']);
    assert.equal(both.family, 'mimi');
  });

  test('fewer matches than min_matches give default_match; OUTPUT overwrites, OUTPUTNEW keeps what the row has', () => {
    // ESCU attacker_tools_on_endpoint: ... OUTPUT description | search description != false
    const run = pipeline('lookup tools tool as process_name OUTPUT description | search description != false', library);
    assert.equal(run({ process_name: 'notepad.exe' }), undefined);
    const exact = pipeline('eval owner = "carol" | lookup exact host as dest OUTPUT owner', library);
    assert.equal(exact({ dest: 'web01' })!.owner, 'alice', 'max_matches 1: the first row in file order');
    assert.equal(exact({ dest: 'db01' })!.owner, undefined, 'OUTPUT with no match clears the column');
    const keep = pipeline('eval owner = "carol" | lookup exact host as dest OUTPUTNEW owner', library);
    assert.equal(keep({ dest: 'web01' })!.owner, 'carol');
  });

  test('without OUTPUT every other column is output; a multivalue input matches on any value', () => {
    const run = pipeline('eval names = split(process, " ") | lookup tools tool as names', library);
    const row = run({ process: 'x remcom.exe' })!;
    assert.equal(row.description, 'psexec clone, open source');
    assert.equal(row.family, 'psexec');
  });

  test('refusals are located: unknown lookup, KV store, unknown lookup column, outside an ESCU tree', () => {
    assert.match(errorsOf('lookup nope a as dest', library)[0], /^nope a as \|lookup nope is not defined in /);
    assert.match(errorsOf('lookup kv a as dest', library)[0], /^kv a as de\|lookup kv is a KV store collection/);
    assert.match(errorsOf('lookup tools nope as dest', library)[0], /^nope as de\|lookup tools has no column nope/);
    assert.match(errorsOf('lookup tools tool as dest')[0], /^tools tool\|lookup tools: lookups are read from the lookups\/ folder of an ESCU tree/);
  });
});

/** every row of a detection through its commands (stats, eventstats, dedup, sort, head need them all) */
function setPipeline(commands: string, base = rows): (rows: Row[]) => Row[] {
  const { output, errors } = compileSearch(`${base} | ${commands}`);
  assert.deepEqual(errors, []);
  const run = compileRowSetPipeline(output!.rowStages);
  return (input) => run(input).map((item) => item.row);
}

describe('stats, eventstats, dedup, sort, head after tstats', () => {
  const input: Row[] = [
    { dest: 'h1', user: 'a', process: 'p1', count: 2 },
    { dest: 'h1', user: 'b', process: 'p2', count: 4 },
    { dest: 'h2', user: 'a', process: 'p1', count: 9 },
    { user: 'c', process: 'p3', count: 1 },
  ];

  test('stats: one row per BY combination, ordered by its values; a row lacking a BY column is left out', () => {
    // ESCU linux_iptables_firewall_modification: stats values(...) dc(port) as port_count count by ...
    const run = setPipeline('stats count sum(count) as total dc(user) as users values(process) as processes avg(count) as mean stdev(count) as sd by dest | where users > 1');
    assert.deepEqual(run(input), [{ dest: 'h1', count: 2, total: 6, users: 2, processes: ['p1', 'p2'], mean: 3, sd: Math.SQRT2 }]);
  });

  test('after stats only its columns exist; a rename after it leaves the commands before it alone', () => {
    assert.match(compileSearch(`${rows} | stats count by dest | where user="a"`).errors[0].message, /no output column user \(columns: dest, count\)/);
    const run = setPipeline('eval d = dest | stats count by d | rename d as dest');
    assert.deepEqual(run(input), [{ dest: 'h1', count: 2 }, { dest: 'h2', count: 1 }]);
  });

  test('eventstats: each row gains its group\'s aggregates; rows stay (ESCU system_information_discovery_detection)', () => {
    const run = setPipeline('eventstats dc(process) as dc_by_dest by dest | where dc_by_dest > 1');
    assert.deepEqual(run(input).map((r) => [r.dest, r.process, r.dc_by_dest]), [['h1', 'p1', 2], ['h1', 'p2', 2]]);
    const all = setPipeline('eventstats avg(count) as avg stdev(count) as stdev | where count > avg');
    assert.deepEqual(all(input).map((r) => r.count), [9]);
  });

  test('dedup keeps the first row per combination and drops rows lacking a field; sort is stable, numeric, -desc; head', () => {
    assert.deepEqual(setPipeline('dedup user')(input).map((r) => r.process), ['p1', 'p2', 'p3']);
    assert.deepEqual(setPipeline('dedup dest')(input).map((r) => r.dest), ['h1', 'h2']);
    assert.deepEqual(setPipeline('sort - count')(input).map((r) => r.count), [9, 4, 2, 1]);
    assert.deepEqual(setPipeline('sort user, -count')(input).map((r) => r.count), [9, 2, 4, 1]);
    assert.deepEqual(setPipeline('sort 2 count')(input).map((r) => r.count), [1, 2]);
    assert.deepEqual(setPipeline('head 1')(input).map((r) => r.count), [2]);
  });

  test('eval(...) inside an aggregate is computed per row; null values are left out; count(eval(condition)) counts the true rows', () => {
    const run = setPipeline('stats count as n max(eval(if(user="a", count, null))) as max_a avg(eval(if(user!="a", count, null()))) as avg_other count(eval(count > 3)) as big by dest');
    assert.deepEqual(run(input), [{ dest: 'h1', n: 2, max_a: 2, avg_other: 4, big: 1 }, { dest: 'h2', n: 1, max_a: 9, big: 1 }]);
  });

  test('ESCU smb_traffic_spike: the last 70 minutes against the hours before, by relative_time of the newest bucket', () => {
    const hours = [0, 1, 2, 3].map((h) => ({ dest: 'h1', _time: 1_700_000_000 - (1_700_000_000 % 3600) + h * 3600, count: h === 3 ? 50 : 10 + h }));
    const hourly = '| tstats count from datamodel=Endpoint.Processes by _time span=1h Processes.dest | `drop_dm_object_name(Processes)`';
    const run = setPipeline('eventstats max(_time) as maxtime | stats count as num_data_samples max(eval(if(_time >= relative_time(maxtime, "-70m@m"), count, null))) as "count" avg(eval(if(_time<relative_time(maxtime, "-70m@m"), count, null))) as avg stdev(eval(if(_time<relative_time(maxtime, "-70m@m"), count, null))) as stdev by dest | eval upperBound=(avg+stdev*2), isOutlier=if(count > upperBound AND num_data_samples >=4, 1, 0) | where isOutlier=1', hourly);
    // maxtime - 70 minutes, snapped to the minute, is 1h50 after the first bucket: buckets 2 and 3 are "recent" (max 50), 0 and 1 the baseline
    assert.deepEqual(run(hours), [{ dest: 'h1', num_data_samples: 4, count: 50, avg: 10.5, stdev: Math.SQRT1_2, upperBound: 10.5 + 2 * Math.SQRT1_2, isOutlier: 1 }]);
  });

  test('refusals are located: eval() without as or with the wrong kind of value, an unknown aggregate, dedup options', () => {
    assert.match(errorsOf('stats max(eval(count*2)) by dest')[0], /max\(eval\(\.\.\.\)\) needs `as` a column name/);
    assert.match(errorsOf('stats max(eval(count>2)) as m by dest')[0], /^max\(eval\(c\|max\(eval\(\.\.\.\)\) needs a value, not a condition/);
    assert.match(errorsOf('stats count(eval(count*2)) as m by dest')[0], /^count\(eval\|count\(eval\(\.\.\.\)\) counts the rows where a condition is true/);
    assert.match(errorsOf('eventstats p50(count) as p by dest')[0], /^p50\(count\)\|aggregate `p50` is not supported after tstats/);
    assert.match(errorsOf('dedup keepempty=true dest')[0], /^keepempty=\|dedup option `keepempty` is not supported/);
  });
});
