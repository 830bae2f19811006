import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileSearch } from '../../../src/rules/spl/compile.js';
import type { MacroDefinition, MacroLibrary } from '../../../src/rules/spl/macros.js';

function library(definitions: Array<Omit<MacroDefinition, 'file'>>, unloadable: Record<string, string> = {}): MacroLibrary {
  const byName = new Map<string, MacroDefinition[]>();
  for (const d of definitions) byName.set(d.name, [...(byName.get(d.name) ?? []), { ...d, file: `macros/${d.name}.yml` }]);
  return { definitions: byName, unloadable: new Map(Object.entries(unloadable)) };
}

/** `line:col` of the first occurrence of `needle` */
function at(text: string, needle: string): string {
  const index = text.indexOf(needle);
  assert.ok(index >= 0, `${needle} not in ${text}`);
  const before = text.slice(0, index).split('\n');
  return `${before.length}:${before[before.length - 1].length + 1}`;
}

// ESCU's own definitions (macros/process_netsh.yml, macros/windows_shells.yml, a shortened
// system_network_configuration_discovery_tools.yml), and an argument macro shaped like ESCU's
const escu = library([
  { name: 'process_netsh', arguments: [], definition: '(Processes.process_name=netsh.exe OR Processes.original_file_name=netsh.exe)' },
  { name: 'windows_shells', arguments: [], definition: '(Processes.process_name=cmd.exe OR Processes.process_name=powershell.exe)' },
  { name: 'discovery_tools', arguments: [], definition: '(process_name= "arp.exe" OR process_name= "net.exe")' },
  { name: 'named', arguments: ['field', 'value'], definition: '$field$=$value$' },
  { name: 'outer', arguments: [], definition: '`named(Processes.user, admin)` `process_netsh`' },
  { name: 'loop_a', arguments: [], definition: '`loop_b`' },
  { name: 'loop_b', arguments: [], definition: '`loop_a`' },
  { name: 'broken_body', arguments: [], definition: 'Processes.process="unterminated' },
  { name: 'bad_field', arguments: [], definition: 'Processes.nope=1' },
]);

const head = '| tstats count from datamodel=Endpoint.Processes where ';

describe('content macros expand inline, before parsing', () => {
  test('a field-filter macro inside where is the ANDed group it defines', () => {
    const { plan, errors } = compileSearch(`${head}\`process_netsh\` Processes.process="* portproxy *" by Processes.dest`, escu);
    assert.deepEqual(errors, []);
    assert.deepEqual(plan?.where, {
      kind: 'and',
      terms: [
        { kind: 'or', terms: [
          { kind: 'compare', field: 'process_name', op: '=', pattern: 'netsh.exe' },
          { kind: 'compare', field: 'original_file_name', op: '=', pattern: 'netsh.exe' },
        ] },
        { kind: 'compare', field: 'process', op: '=', pattern: '* portproxy *' },
      ],
    });
  });

  test('arguments are substituted, and macros nest', () => {
    const { plan, errors } = compileSearch(`${head}\`outer\` by Processes.dest`, escu);
    assert.deepEqual(errors, []);
    assert.deepEqual(plan?.where, {
      kind: 'and',
      terms: [
        { kind: 'compare', field: 'user', op: '=', pattern: 'admin' },
        { kind: 'or', terms: [
          { kind: 'compare', field: 'process_name', op: '=', pattern: 'netsh.exe' },
          { kind: 'compare', field: 'original_file_name', op: '=', pattern: 'netsh.exe' },
        ] },
      ],
    });
  });

  test('a macro used after drop_dm_object_name reads output columns', () => {
    const spl = '| tstats count from datamodel=Endpoint.Processes by Processes.process_name | `drop_dm_object_name(Processes)` | search `discovery_tools`';
    const { output, errors } = compileSearch(spl, escu);
    assert.deepEqual(errors, []);
    assert.equal(output?.rowStages.length, 1);
  });
});

describe('content macro errors point at the macro use', () => {
  const cases: Array<[string, string, string]> = [
    ['`unloadable`', 'macro `unloadable` cannot be loaded: macros/unloadable.yml:2:1: definition: expected string', 'unloadable'],
    ['`named(a)`', 'macro `named` takes 2 argument(s), got 1', 'arity'],
    ['`loop_a`', 'macro `loop_a` expands into itself (loop_a -> loop_b -> loop_a)', 'cycle'],
    ['`broken_body`', 'unterminated quoted string', 'lexing its definition'],
    ['`bad_field`', 'field Processes.nope is not produced by any mapping of dataset Endpoint.Processes (did you mean: … (in the expansion of macro `bad_field`)', 'a field its definition names'],
    ['`nowhere`', 'unknown macro `nowhere`', 'an undefined macro'],
  ];
  for (const [use, message, what] of cases) {
    test(`${what}: ${message}`, () => {
      const spl = `${head}Processes.user=x\n  ${use} by Processes.dest`;
      const lib = library([...escu.definitions.values()].flat(), { unloadable: 'macros/unloadable.yml:2:1: definition: expected string' });
      const { plan, errors } = compileSearch(spl, lib);
      assert.equal(plan, undefined);
      assert.deepEqual(errors.map((e) => `${e.line}:${e.col}`), [at(spl, use)], JSON.stringify(errors));
      // `…` stands for any text between the parts
      for (const part of message.split(' … ')) assert.ok(errors[0].message.includes(part), errors[0].message);
    });
  }
});
