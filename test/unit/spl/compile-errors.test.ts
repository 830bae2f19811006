import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileFilter, compileSearch } from '../../../src/rules/spl/compile.js';
import type { SplError } from '../../../src/rules/spl/lexer.js';

/** `line:col` (1-based) of the nth occurrence of `needle` in `text` */
function at(text: string, needle: string, nth = 0): string {
  let index = -1;
  for (let k = 0; k <= nth; k++) index = text.indexOf(needle, index + 1);
  assert.ok(index >= 0, `${needle} not in ${text}`);
  const before = text.slice(0, index).split('\n');
  return `${before.length}:${before[before.length - 1].length + 1}`;
}

/** asserts the errors in order, each as a position and a fragment of its message */
function assertErrors(errors: SplError[], expected: [string, string][]): void {
  assert.deepEqual(
    errors.map((e) => `${e.line}:${e.col}`),
    expected.map(([position]) => position),
    JSON.stringify(errors),
  );
  expected.forEach(([, fragment], k) => assert.ok(errors[k].message.includes(fragment), `${errors[k].message} lacks "${fragment}"`));
}

/** `expected`: [needle the error points at (or [needle, nth]), message fragment] */
function searchErrors(spl: string, expected: [string | [string, number], string][]): void {
  const { plan, errors } = compileSearch(spl);
  assert.equal(plan, undefined);
  assertErrors(
    errors,
    expected.map(([needle, fragment]) => [typeof needle === 'string' ? at(spl, needle) : at(spl, ...needle), fragment]),
  );
}

const tstats = '| tstats count from datamodel=Endpoint.Processes';

describe('compileSearch reports every error with its line:col', () => {
  test('unsupported command, unknown macro and bare term are all reported', () => {
    searchErrors(`${tstats} where Processes.user=a ngrok by Processes.dest | makemv x | \`mystery\``, [
      ['ngrok', 'bare term `ngrok`'],
      ['makemv', 'command `makemv` is not supported'],
      ['`mystery`', 'unknown macro `mystery`'],
    ]);
  });

  test('positions count lines and columns from 1', () => {
    const spl = `${tstats}\n| makemv foo`;
    assertErrors(compileSearch(spl).errors, [['2:3', 'command `makemv`']]);
  });

  test('a field the dataset does not produce (where and by), in source order', () => {
    searchErrors(`${tstats} where Processes.bogus=1 by Processes.nope`, [
      ['Processes.bogus', 'field Processes.bogus is not produced by any mapping of dataset Endpoint.Processes'],
      ['Processes.nope', 'field Processes.nope is not produced by any mapping of dataset Endpoint.Processes'],
    ]);
  });

  test('an aggregate over a field the dataset does not produce', () => {
    searchErrors('| tstats values(DNS.nope) as x from datamodel=Network_Resolution', [['DNS.nope', 'field DNS.nope is not produced']]);
  });

  test('_time is always allowed', () => {
    assert.deepEqual(compileSearch('| tstats max(_time) as t from datamodel=Network_Resolution where _time=1').errors, []);
  });

  test('a field without (or with the wrong) object prefix', () => {
    searchErrors(`${tstats} where process_name=x DNS.query=y`, [
      ['process_name', 'must carry the `Processes.` prefix'],
      ['DNS.query', 'must carry the `Processes.` prefix'],
    ]);
  });

  test('unsupported tstats option, aggregate and datamodel', () => {
    searchErrors('| tstats summariesonly=true sum(_time) as s from datamodel=Web by Web.url', [
      ['summariesonly', 'tstats option `summariesonly=`'],
      ['sum(', 'aggregate `sum` is not supported'],
      ['Web', 'datamodel `Web` is not supported'],
    ]);
  });

  test('an aggregate without its field', () => {
    searchErrors('| tstats min from datamodel=Endpoint', [['min', 'aggregate `min` needs a field']]);
  });

  test('missing aggregate and missing from clause', () => {
    searchErrors('| tstats where Processes.user=a', [
      ['where', 'at least one aggregate'],
      ['where', 'expected `from datamodel=...`'],
    ]);
  });

  test('from without datamodel=', () => {
    searchErrors('| tstats count from Endpoint.Processes', [['Endpoint', 'expected `datamodel=`']]);
  });

  test('junk between from and by', () => {
    searchErrors(`${tstats} Processes.user=a by Processes.dest`, [['Processes.user', 'expected where or by']]);
  });

  test('BY options: only span=, with a duration, over _time', () => {
    searchErrors(`${tstats} by Processes.dest bins=3`, [['bins', 'BY option `bins=` is not supported (only span=)']]);
    searchErrors(`${tstats} by Processes.dest span=1h`, [['span', 'span= buckets _time: add _time to the BY fields']]);
    searchErrors(`${tstats} by _time span=1fortnight`, [['1fortnight', 'span= needs a duration such as 1h']]);
  });

  test('unsupported generating command and tstats not first', () => {
    searchErrors('| inputlookup x', [['inputlookup', 'generating command `inputlookup`']]);
    searchErrors('`sysmon` | tstats count from datamodel=Endpoint', [['tstats', 'tstats must be the first command']]);
  });

  test('a raw search must start with the sysmon macro (and later commands do not cascade)', () => {
    searchErrors('index=main EventID=1 | stats count by Foo', [['index', 'must start with the `sysmon` macro']]);
  });

  test('stats needs an aggregate', () => {
    searchErrors('`sysmon` EventID=7 | stats by Computer', [['by', 'stats needs at least one aggregate']]);
  });

  test('a bare keyword term in a raw search', () => {
    searchErrors('`sysmon` devtunnel EventID=7 | stats count by Computer', [['devtunnel', 'bare term `devtunnel`']]);
  });

  test('a raw-search field the sysmon dataset does not produce', () => {
    searchErrors('`sysmon` Bogus=1 | stats count by Nope', [
      ['Bogus', 'field Bogus is not produced by any mapping of dataset sysmon'],
      ['Nope', 'field Nope is not produced'],
    ]);
  });

  test('a second filter macro, macro with wrong arity, macro misplaced', () => {
    searchErrors(`${tstats} | \`x_filter\` | \`security_content_ctime\` | \`security_content_summariesonly\` | \`y_filter(a)\` | \`z_filter\``, [
      ['`security_content_ctime`', 'takes 1 argument(s), got 0'],
      ['`security_content_summariesonly`', 'not valid as a command'],
      ['`y_filter', 'takes no arguments'],
      ['`z_filter`', 'a second tuning filter macro (`x_filter` came first)'],
    ]);
  });

  test('a macro other than summariesonly as a tstats option', () => {
    searchErrors('| tstats `sysmon` count from datamodel=Endpoint', [['`sysmon`', 'not valid as a tstats option']]);
  });

  test('rename of a missing column, rename onto an existing one (security_content_ctime of a missing column is no error)', () => {
    searchErrors(`${tstats} by Processes.dest | \`security_content_ctime(firstTime)\` | rename nope as x, count as Processes.dest`, [
      ['nope', 'rename: no output column nope'],
      [['Processes.dest', 1], 'output column Processes.dest already exists'],
    ]);
  });

  test('rename without `as`', () => {
    searchErrors(`${tstats} | rename count to n`, [['to', 'expected `as`']]);
  });

  test('row filter on a missing column', () => {
    searchErrors(`${tstats} by Processes.dest | search dest=x`, [['dest=', 'no output column dest']]);
  });

  test('fillnull with options, fillnull after tstats, stats after tstats over a column it lacks', () => {
    searchErrors(`${tstats} | fillnull value=0 | fillnull | stats count by nope`, [
      ['value', 'fillnull options'],
      [['fillnull', 1], 'fillnull is only supported before stats'],
      ['nope', 'no output column nope'],
    ]);
  });

  test('rename and drop_dm_object_name before stats; search before tstats output is impossible', () => {
    searchErrors('`sysmon` | rename Computer as dest | `drop_dm_object_name(X)` | `security_content_ctime(x)` | stats count', [
      ['rename', 'rename is only supported after'],
      ['`drop', '`drop_dm_object_name` is only supported after'],
      ['`security_content_ctime', '`security_content_ctime` is only supported after'],
    ]);
  });

  test('duplicate output column', () => {
    searchErrors('| tstats count as x max(_time) as x from datamodel=Endpoint.Processes', [['tstats', 'output column x is produced twice']]);
  });

  test('ordering comparisons are for where and searches over rows, not the event search', () => {
    searchErrors(`${tstats} where Processes.process_id>4`, [['>', 'comparison operator `>`']]);
    searchErrors(`${tstats} where Processes.process_id==4`, [['==', 'comparison operator `==`']]);
  });

  test('unterminated string and macro', () => {
    searchErrors(`${tstats} where Processes.user="abc`, [['"abc', 'unterminated quoted string']]);
    searchErrors(`${tstats} | \`drop_dm_object_name(Processes)`, [['`drop', 'unterminated macro']]);
    searchErrors(`${tstats} | \`drop_dm_object_name(Processes\``, [['`drop', 'missing closing parenthesis']]);
  });

  test('empty search and empty command', () => {
    assertErrors(compileSearch('').errors, [['1:1', 'empty search']]);
    searchErrors(`${tstats} | | \`x_filter\``, [[['|', 1], 'empty command']]);
  });

  test('unbalanced parentheses, dangling operators, bad IN lists, missing value', () => {
    const where = `${tstats} where `;
    searchErrors(`${where}(Processes.user=a`, [['tstats', 'expected `)` to close the `(` at 1:56']]);
    searchErrors(`${where}Processes.user=a)`, [[')', 'expected a field comparison, found `)`']]);
    searchErrors(`${where}Processes.user=a OR`, [['tstats', 'expected a search term']]);
    searchErrors(`${where}AND Processes.user=a`, [['AND', '`AND` needs a term on each side']]);
    searchErrors(`${where}Processes.user IN ()`, [[')', 'expected a value']]);
    searchErrors(`${where}Processes.user IN (a b)`, [['b)', 'expected `,` or `)`']]);
    searchErrors(`${where}Processes.user IN zzz`, [['zzz', 'expected `(` after IN']]);
    searchErrors(`${where}Processes.user=`, [['tstats', 'expected a value, found end of command']]);
  });

  test('a field no mapping produces is an error with the nearest fields of the dataset suggested', () => {
    searchErrors(`${tstats} where Processes.usr=a by Processes.dest`, [['Processes.usr', 'not produced by any mapping of dataset Endpoint.Processes (did you mean: Processes.user,']]);
  });

  test('one missing `)` before a BY clause is one error at the BY, not one per BY field', () => {
    const spl = `${tstats} where (Processes.process_name=ngrok.exe OR Processes.process_name=frpc.exe by Processes.dest Processes.user Processes.process_name`;
    searchErrors(spl, [['by Processes.dest', 'expected `)` to close the `(` at 1:56']]);
    // a field named `by` inside parentheses is still a comparison
    assert.deepEqual(compileSearch(`${tstats} where (Processes.user=a OR by=b) by Processes.dest`).errors.filter((e) => e.message.includes('close the')), []);
  });

  test('a macro inside an expression', () => {
    searchErrors('`sysmon` EventID=7 `sysmon` | stats count', [[['`sysmon`', 1], 'macro `sysmon` is not supported inside an expression']]);
  });

  test('a subsearch is one error at its bracket, its pipes and commands unread', () => {
    searchErrors(`${tstats} where [search x | head 1] Processes.user=a by Processes.dest`, [['[', 'subsearches (`[ ... ]`) are not supported']]);
  });

  test('transaction and apply say why they are refused', () => {
    searchErrors(`${tstats} by Processes.dest | transaction dest | apply model`, [
      ['transaction', 'it groups events into transactions'],
      ['apply', 'it applies a Machine Learning Toolkit model'],
    ]);
  });

  describe('join forms tunnelwatch cannot run exactly are refused at their token', () => {
    const rows = `${tstats} by Processes.dest Processes.process_guid | \`drop_dm_object_name(Processes)\``;
    const sub = '[| tstats count from datamodel=Endpoint.Filesystem by Filesystem.dest Filesystem.process_guid | `drop_dm_object_name(Filesystem)`]';
    test('max other than 1, usetime=true, an unknown type or option, an option without a value', () => {
      searchErrors(`${rows} | join max=0 process_guid ${sub}`, [['max', 'join: max=0 joins every matching subsearch row to each row']]);
      searchErrors(`${rows} | join max=3 process_guid ${sub}`, [['max', 'join: max=3 joins up to 3 matching subsearch rows']]);
      searchErrors(`${rows} | join usetime=true earlier=false process_guid ${sub}`, [['usetime', 'usetime=true matches rows by the time order of their events']]);
      searchErrors(`${rows} | join type=cross process_guid ${sub}`, [['cross', 'the join types are inner, outer and left']]);
      searchErrors(`${rows} | join overwrite=maybe process_guid ${sub}`, [['maybe', 'overwrite= needs true or false']]);
      searchErrors(`${rows} | join keepsingle=true process_guid ${sub}`, [['keepsingle', 'option `keepsingle=` is not supported']]);
    });
    test('a subsearch that is not a tstats over a mapped data model, none at all, or not last', () => {
      searchErrors(`${rows} | join process_guid [search \`sysmon\` EventID=11 | table process_guid]`, [['search', 'only a `[| tstats ... from datamodel=...]` subsearch is supported']]);
      searchErrors(`${rows} | join process_guid [| inputlookup hosts]`, [
        ['inputlookup', 'only a `[| tstats ... from datamodel=...]` subsearch is supported (a second aggregation over the same events), found `inputlookup`'],
        ['hosts', 'lookups are read from the lookups/ folder of an ESCU tree'],
      ]);
      searchErrors(`${rows} | join process_guid [| tstats count from datamodel=Web by Web.dest]`, [['Web', 'datamodel `Web` is not supported']]);
      searchErrors(`${rows} | join process_guid`, [[['join', 0], 'join needs a subsearch']]);
      searchErrors(`${rows} | join process_guid ${sub} dest`, [[['dest', 2], 'expected `]` to end the subsearch']]);
      searchErrors(`${rows} | join process_guid [| tstats count from datamodel=Endpoint.Filesystem by Filesystem.process_guid | \`drop_dm_object_name(Filesystem)\` | join process_guid ${sub}]`, [
        [['[', 0], "a join inside a join's subsearch is not supported"],
      ]);
      searchErrors(`\`sysmon\` EventID=1 | join process_guid ${sub} | stats count by Image`, [['join', '`join` is only supported after tstats or stats']]);
    });
    test('join fields: missing on either side, computed (may hold several values), none in common', () => {
      searchErrors(`${rows} | join user ${sub}`, [['user', 'join: no output column user to join on']]);
      searchErrors(`${rows} | join dest [| tstats count from datamodel=Endpoint.Filesystem by Filesystem.process_guid]`, [[['dest', 1], 'join: the subsearch has no column dest']]);
      searchErrors(`${rows} | join count ${sub}`, [[['count', 1], 'join: count is computed in the rows, not a group-by column']]);
      searchErrors(`${rows} | join dest [| tstats values(Filesystem.dest) as dest from datamodel=Endpoint.Filesystem by Filesystem.process_guid]`, [
        [['dest', 1], 'join: dest is computed in the subsearch'],
      ]);
      searchErrors(`${rows} | join [| tstats count as n from datamodel=Endpoint.Filesystem by Filesystem.file_name]`, [['join', 'the rows and the subsearch share no column to join on']]);
    });
  });

  test('where functions: unknown, wrong arity, a non-linear regex, a value used as a condition', () => {
    const rows = `${tstats} by Processes.dest | \`drop_dm_object_name(Processes)\` | where `;
    searchErrors(`${rows}strftime(dest, "%Y") > 0`, [['strftime', 'eval function not supported: strftime()']]);
    searchErrors(`${rows}isnull(dest, count)`, [['isnull', 'isnull() takes 1 argument(s), got 2']]);
    searchErrors(`${rows}match(dest, "(?=win)")`, [['match', 'match(): not a linear-time regular expression']]);
    searchErrors(`${rows}like(dest, dest)`, [['like', 'like() needs a quoted pattern']]);
    searchErrors(`${rows}match(dest, pattern)`, [['pattern', 'no output column pattern']]);
    searchErrors(`${rows}len(dest)`, [['len', 'len() is not a condition']]);
    searchErrors(`${rows}count >= nope`, [['nope', 'no output column nope']]);
  });

  test('regex command: its form, its column, a linear-time pattern', () => {
    const rows = `${tstats} by Processes.dest | \`drop_dm_object_name(Processes)\` | regex `;
    searchErrors(`${rows}dest`, [[['dest', 1], 'regex needs `column="regular expression"`']]);
    searchErrors(`${rows}nope="x"`, [['nope', 'no output column nope']]);
    searchErrors(`${rows}dest="(a)\\1"`, [['"(a)', 'regex: not a linear-time regular expression']]);
  });
});

describe('compileFilter errors', () => {
  test('a pipe is not allowed', () => {
    const spl = 'user=a | stats count';
    assertErrors(compileFilter(spl).errors, [
      [at(spl, '|'), '`|` is not allowed'],
      [at(spl, 'stats'), 'bare term `stats`'],
      [at(spl, 'count'), 'bare term `count`'],
    ]);
  });

  test('where needs explicit operators, quoted strings, and has no wildcards', () => {
    assertErrors(compileFilter('where a="1" b="2"').errors, [['1:13', 'expected AND or OR']]);
    // an unquoted word is a column in where (Splunk's eval semantics): `user=admin` compares two columns
    assert.deepEqual(compileFilter('where user=admin').expr, {
      kind: 'eval',
      value: { kind: 'relation', op: '==', left: { kind: 'field', name: 'user' }, right: { kind: 'field', name: 'admin' } },
    });
    assertErrors(compileFilter('where user="*adm*"').errors, [['1:12', '`*` is a literal']]);
  });

  test('an empty filter', () => {
    assertErrors(compileFilter('  ').errors, [['1:1', 'empty filter']]);
  });

  test('a macro in a filter', () => {
    assertErrors(compileFilter('user=a `x`').errors, [['1:8', 'unknown macro `x`']]);
    assertErrors(compileFilter('user=a `sysmon`').errors, [['1:8', 'macro `sysmon` is not supported inside an expression']]);
  });
});
