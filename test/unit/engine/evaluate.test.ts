import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compilePredicate } from '../../../src/engine/predicate.js';
import { compileSearch } from '../../../src/rules/spl/compile.js';

/** the `where` of a search over rows with columns dest, process, count, ... as a predicate */
function where(condition: string): (row: Record<string, string | string[]>) => boolean {
  const spl = `| tstats count from datamodel=Endpoint.Processes by Processes.dest Processes.process Processes.process_name Processes.registry | \`drop_dm_object_name(Processes)\` | where ${condition}`;
  const { output, errors } = compileSearch(spl.replace(' Processes.registry', ''));
  assert.deepEqual(errors, []);
  const stage = output!.rowStages[0];
  if (stage?.kind !== 'filter') throw new Error(`expected a filter stage, got ${stage?.kind}`);
  return compilePredicate(stage.expr);
}

test('isnull / isnotnull: an absent column is null, any value (tstats fills "null" as text) is not', () => {
  assert.equal(where('isnotnull(dest)')({ dest: 'null' }), true);
  assert.equal(where('isnotnull(dest)')({}), false);
  assert.equal(where('isnull(dest)')({}), true);
});

test('ordering compares numbers as numbers and text as text; a null side is false', () => {
  assert.equal(where('count >= 10')({ count: '9' }), false);
  assert.equal(where('count >= 10')({ count: '10' }), true);
  assert.equal(where('count > 9')({ count: '10' }), true, 'not "10" < "9" as text');
  assert.equal(where('dest < "m"')({ dest: 'host' }), true);
  assert.equal(where('count > 1')({}), false);
  assert.equal(where('len(process) > 5')({ process: 'abcdef' }), true);
  assert.equal(where('len(process) > 5')({ process: 'abc' }), false);
  assert.equal(where('count == 3 OR count != 3')({}), false);
});

test('match() is a linear-time regex, case-sensitive unless (?i); like() has % and _', () => {
  const m = where('match(process, "(?i)cmd\\.exe\\s+/Q\\s+/c")');
  assert.equal(m({ process: 'C:\\Windows\\CMD.EXE  /Q /c echo' }), true);
  assert.equal(m({ process: 'cmd.exe /q' }), false);
  assert.equal(where('match(process, "rundll32.+#\\d+")')({ process: 'rundll32.exe x.dll,#1' }), true);
  const l = where('NOT like(process, "%\\\\windows\\\\system32\\\\%")');
  assert.equal(l({ process: 'c:\\windows\\system32\\a.exe' }), false);
  assert.equal(l({ process: 'C:\\Windows\\System32\\a.exe' }), true, 'like is case-sensitive');
  assert.equal(where('like(dest, "C_")')({ dest: 'C:' }), true);
  assert.equal(where('like(dest, "C_")')({ dest: 'C::' }), false);
});

test('a multivalue column satisfies a relation when any value does; mvcount, lower, cidrmatch', () => {
  assert.equal(where('process == "b"')({ process: ['a', 'b'] }), true);
  assert.equal(where('mvcount(process) >= 2')({ process: ['a', 'b'] }), true);
  assert.equal(where('lower(dest) == "win"')({ dest: 'WIN' }), true);
  assert.equal(where('cidrmatch("10.0.0.0/8", dest)')({ dest: '10.1.2.3' }), true);
  assert.equal(where('cidrmatch("10.0.0.0/8", dest)')({ dest: '11.1.2.3' }), false);
});

test('a catastrophic-backtracking pattern runs in linear time over a long value', () => {
  const evil = where('match(process, "(a+)+$")');
  const start = process.hrtime.bigint();
  assert.equal(evil({ process: `${'a'.repeat(50_000)}!` }), false);
  assert.ok(process.hrtime.bigint() - start < 2_000_000_000n, 'a backtracking engine would not finish');
});
