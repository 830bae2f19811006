import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileSearch } from '../../../src/rules/spl/compile.js';
import type { OutputSettings, SearchPlan } from '../../../src/rules/search-plan.js';
import {
  cloudflaredConnection,
  cloudflaredExecution,
  devtunnelsExecution,
  devtunnelsImageLoaded,
  devtunnelsImageLoadedOld,
  dnsBy,
  imageLoadBy,
  ngrokBy,
  ngrokDns,
  ngrokWindows,
  processesBy4,
  trafficBy,
} from './escu-searches.js';

/** the plan and its SPL output settings in one object, so each case states the whole compiled form */
function planOf(spl: string): SearchPlan & OutputSettings {
  const { plan, output, errors } = compileSearch(spl);
  assert.deepEqual(errors, []);
  assert.ok(plan && output);
  return { ...plan, ...output };
}

const timeAggregates = [
  { fn: 'count', as: 'count' },
  { fn: 'min', field: '_time', as: 'firstTime' },
  { fn: 'max', field: '_time', as: 'lastTime' },
];
const same = (fields: string[]) => fields.map((f) => ({ field: f, as: f }));

describe('the ESCU Reverse Network Proxy searches compile to their plans', () => {
  test('(a) Windows Ngrok Reverse Proxy Usage', () => {
    assert.deepEqual(planOf(ngrokWindows), {
      dataset: 'Endpoint.Processes',
      where: {
        kind: 'and',
        terms: [
          { kind: 'compare', field: 'process_name', op: '=', pattern: 'ngrok.exe' },
          { kind: 'in', field: 'process', patterns: ['*start*', '*--config*', '*http*', '*authtoken*', '*http*', '*tcp*'] },
        ],
      },
      aggregates: timeAggregates,
      by: same(ngrokBy),
      missingBy: 'fill-null',
      fillnullZero: false,
      ctimeFields: ['firstTime', 'lastTime'],
      rowStages: [],
      filterMacro: 'windows_ngrok_reverse_proxy_usage_filter',
    });
  });

  test('(b) Ngrok Reverse Proxy on Network: Network_Resolution + DNS. prefix, quoted drop_dm_object_name', () => {
    const plan = planOf(ngrokDns);
    assert.equal(plan.dataset, 'Network_Resolution.DNS');
    assert.deepEqual(plan.where, {
      kind: 'in',
      field: 'query',
      patterns: ['*.ngrok.com', '*.ngrok.io', 'ngrok.*.tunnel.com', 'korgn.*.lennut.com'],
    });
    assert.deepEqual(plan.by, same(dnsBy));
    assert.deepEqual(plan.aggregates, timeAggregates);
    assert.equal(plan.missingBy, 'fill-null');
    assert.equal(plan.filterMacro, 'ngrok_reverse_proxy_on_network_filter');
  });

  test('(c) Windows Devtunnels Execution: parenthesised OR', () => {
    const plan = planOf(devtunnelsExecution);
    assert.deepEqual(plan.where, {
      kind: 'or',
      terms: [
        { kind: 'compare', field: 'original_file_name', op: '=', pattern: 'devtunnel.dll' },
        { kind: 'compare', field: 'process_name', op: '=', pattern: 'devtunnel.exe' },
      ],
    });
    assert.deepEqual(plan.by, same(processesBy4));
    assert.equal(plan.filterMacro, 'windows_devtunnels_execution_filter');
  });

  test('(d) Windows Potential Cloudflared Tunnel Execution: implicit AND around a parenthesised OR', () => {
    const p = (pattern: string) => ({ kind: 'compare', field: 'process', op: '=', pattern });
    assert.deepEqual(planOf(cloudflaredExecution).where, {
      kind: 'and',
      terms: [
        p('*tunnel*'),
        { kind: 'or', terms: [{ kind: 'and', terms: [p('*run*'), p('*token*')] }, { kind: 'and', terms: [p('*--url*'), p('*localhost*')] }] },
      ],
    });
  });

  test('(e) Windows Potential Cloudflared Network Connection: values() aggregate', () => {
    const plan = planOf(cloudflaredConnection);
    assert.equal(plan.dataset, 'Network_Traffic.All_Traffic');
    assert.deepEqual(plan.where, { kind: 'compare', field: 'dest_port', op: '=', pattern: '7844' });
    assert.deepEqual(plan.aggregates, [...timeAggregates, { fn: 'values', field: 'src_port', as: 'src_port' }]);
    assert.deepEqual(plan.by, same(trafficBy));
    assert.deepEqual(plan.ctimeFields, ['firstTime', 'lastTime']);
  });

  test('(f) Windows Devtunnels Image Loaded: raw sysmon search, fillnull, stats, rename', () => {
    assert.deepEqual(planOf(devtunnelsImageLoaded), {
      dataset: 'sysmon',
      where: {
        kind: 'and',
        terms: [
          { kind: 'compare', field: 'EventID', op: '=', pattern: '7' },
          { kind: 'compare', field: 'ImageLoaded', op: '=', pattern: '*\\AppData\\Local\\Temp\\.net\\devtunnel\\*' },
          { kind: 'compare', field: 'ImageLoaded', op: '=', pattern: '*devtunnel.dll' },
        ],
      },
      aggregates: timeAggregates,
      by: imageLoadBy.map((f) => ({ field: f, as: f === 'Computer' ? 'dest' : f })),
      missingBy: 'drop',
      fillnullZero: true,
      ctimeFields: ['firstTime', 'lastTime'],
      rowStages: [],
      filterMacro: 'windows_devtunnels_image_loaded_filter',
    });
  });

  test('(f) older form: `\\*` is a literal backslash followed by the wildcard', () => {
    const where = planOf(devtunnelsImageLoadedOld).where;
    assert.equal(where.kind, 'and');
    assert.deepEqual(where.kind === 'and' && where.terms[1], {
      kind: 'compare',
      field: 'ImageLoaded',
      op: '=',
      pattern: '*AppData\\Local\\Temp\\.net\\devtunnel\\*devtunnel.dll',
    });
  });
});

describe('tstats', () => {
  test('without drop_dm_object_name output names keep the object prefix', () => {
    const plan = planOf('| tstats count from datamodel=Endpoint.Processes by Processes.dest Processes.user');
    assert.deepEqual(plan.by, [
      { field: 'dest', as: 'Processes.dest' },
      { field: 'user', as: 'Processes.user' },
    ]);
  });

  test('without security_content_summariesonly an event missing a BY field is dropped', () => {
    assert.equal(planOf('| tstats count from datamodel=Endpoint.Processes by Processes.dest').missingBy, 'drop');
  });

  test('no where clause means every event of the dataset', () => {
    assert.deepEqual(planOf('| tstats count from datamodel=Endpoint.Processes').where, { kind: 'true' });
  });

  test('BY fields may be comma separated; a repeated BY field counts once', () => {
    const plan = planOf('| tstats count from datamodel=Endpoint.Processes by Processes.dest, Processes.user,Processes.dest');
    assert.deepEqual(plan.by.map((b) => b.field), ['dest', 'user']);
  });

  test('datamodel root names select the dataset from the object prefix', () => {
    assert.equal(planOf('| tstats count from datamodel=Endpoint where Processes.process_name=x').dataset, 'Endpoint.Processes');
    assert.equal(planOf('| tstats count from datamodel=Network_Resolution.DNS').dataset, 'Network_Resolution.DNS');
    assert.equal(planOf('| tstats count from datamodel=Network_Traffic where All_Traffic.dest_port=1').dataset, 'Network_Traffic.All_Traffic');
  });

  test('every aggregate function, with and without `as`', () => {
    const plan = planOf(
      '| tstats count as n dc(Processes.user) as users values(Processes.dest) min(_time) MAX(_time) AS last from datamodel=Endpoint.Processes',
    );
    assert.deepEqual(plan.aggregates, [
      { fn: 'count', as: 'n' },
      { fn: 'dc', field: 'user', as: 'users' },
      { fn: 'values', field: 'dest', as: 'values(Processes.dest)' },
      { fn: 'min', field: '_time', as: 'min(_time)' },
      { fn: 'max', field: '_time', as: 'last' },
    ]);
  });

  test('keywords are case-insensitive', () => {
    const plan = planOf('| TSTATS count FROM datamodel=Endpoint.Processes WHERE Processes.user=a or Processes.user=b BY Processes.dest');
    assert.equal(plan.where.kind, 'or');
    assert.equal(plan.by.length, 1);
  });

  test('a value spelled `by` after `=` is a value, not the BY keyword', () => {
    const plan = planOf('| tstats count from datamodel=Endpoint.Processes where Processes.user=by by Processes.dest');
    assert.deepEqual(plan.where, { kind: 'compare', field: 'user', op: '=', pattern: 'by' });
    assert.deepEqual(plan.by, [{ field: 'dest', as: 'Processes.dest' }]);
  });

  test('host is a base field named without a prefix (ESCU: `by DNS.query host`); a prefixed host is refused', () => {
    const plan = planOf('| tstats count from datamodel=Network_Resolution where host=ws1 by DNS.query host');
    assert.deepEqual(plan.by, [{ field: 'query', as: 'DNS.query' }, { field: 'host', as: 'host' }]);
    assert.deepEqual(plan.where, { kind: 'compare', field: 'host', op: '=', pattern: 'ws1' });
    const { errors } = compileSearch('| tstats count from datamodel=Endpoint.Processes by Processes.host');
    assert.match(errors[0].message, /Processes\.host: host is a base field every data model inherits, named without a dataset prefix/);
  });

  test('nodename= the root dataset selects every event of the model; a child dataset is refused, located', () => {
    const plan = planOf('| tstats count from datamodel=Network_Resolution where nodename=DNS "DNS.record_type"="ANY" by "DNS.dest"');
    assert.deepEqual(plan.where, { kind: 'and', terms: [{ kind: 'true' }, { kind: 'compare', field: 'record_type', op: '=', pattern: 'ANY' }] });
    const { errors } = compileSearch('| tstats count from datamodel=Network_Traffic where nodename=All_Traffic.Traffic_By_Action.Blocked_Traffic by All_Traffic.src');
    assert.deepEqual(errors.map((e) => [e.col, e.message]), [[53, 'nodename = All_Traffic.Traffic_By_Action.Blocked_Traffic: only `nodename=All_Traffic`, the root dataset of the data model, is supported']]);
  });

  test('searches may span lines', () => {
    const plan = planOf('| tstats count\n  from datamodel=Endpoint.Processes\n  where Processes.process_name=ngrok.exe\n  by Processes.dest');
    assert.equal(plan.by[0].field, 'dest');
  });
});

describe('commands after the aggregation', () => {
  const base = '| tstats count from datamodel=Endpoint.Processes by Processes.dest Processes.user | `drop_dm_object_name(Processes)`';

  test('rename renames BY outputs and aggregates, several comma-separated pairs', () => {
    const plan = planOf(`${base} | rename dest as host, count as hits user AS account`);
    assert.deepEqual(plan.by, [
      { field: 'dest', as: 'host' },
      { field: 'user', as: 'account' },
    ]);
    assert.deepEqual(plan.aggregates, [{ fn: 'count', as: 'hits' }]);
  });

  test('search and where become row filters, in order, over output columns', () => {
    const plan = planOf(`${base} | search user!=SYSTEM | where count=5 OR dest="a"`);
    assert.deepEqual(plan.rowStages, [
      { kind: 'filter', expr: { kind: 'compare', field: 'user', op: '!=', pattern: 'SYSTEM' } },
      { kind: 'filter', expr: { kind: 'or', terms: [{ kind: 'compare', field: 'count', op: '=', pattern: '5' }, { kind: 'compare', field: 'dest', op: '=', pattern: 'a' }] } },
    ]);
  });

  test('a later rename carries into earlier row filters and ctime fields', () => {
    const plan = planOf(
      '| tstats count min(_time) as firstTime from datamodel=Endpoint.Processes by Processes.dest | `security_content_ctime(firstTime)` | search Processes.dest=x | rename Processes.dest as host, firstTime as first',
    );
    assert.deepEqual(plan.rowStages, [{ kind: 'filter', expr: { kind: 'compare', field: 'host', op: '=', pattern: 'x' } }]);
    assert.deepEqual(plan.ctimeFields, ['first']);
  });

  test('drop_dm_object_name of another object leaves names alone', () => {
    const plan = planOf('| tstats count from datamodel=Endpoint.Processes by Processes.dest | `drop_dm_object_name(DNS)`');
    assert.equal(plan.by[0].as, 'Processes.dest');
  });

  test('a filter macro is optional', () => {
    assert.equal(planOf(base).filterMacro, undefined);
  });
});

describe('raw sysmon searches', () => {
  test('stats without fillnull drops events missing a BY field; where/search before stats filter events', () => {
    const plan = planOf('`sysmon` EventID=1 | search Image="*ngrok*" | stats count by Computer');
    assert.equal(plan.fillnullZero, false);
    assert.equal(plan.missingBy, 'drop');
    assert.deepEqual(plan.where, {
      kind: 'and',
      terms: [
        { kind: 'compare', field: 'EventID', op: '=', pattern: '1' },
        { kind: 'compare', field: 'Image', op: '=', pattern: '*ngrok*' },
      ],
    });
  });

  test('the sysmon macro alone selects every Sysmon event', () => {
    assert.deepEqual(planOf('`sysmon` | stats count by Computer').where, { kind: 'true' });
  });
});

describe('ESCU output shaping that Splunk tolerates', () => {
  test('drop_dm_object_name overwrites an aggregate of the stripped name, as rename does in Splunk', () => {
    // ESCU "Windows Service Stop Win Updates"-style: values(Processes.process) as process ... by Processes.process
    const plan = planOf(
      '| tstats count values(Processes.process) as process min(_time) as firstTime from datamodel=Endpoint.Processes by Processes.process Processes.dest | `drop_dm_object_name(Processes)` | `security_content_ctime(firstTime)`',
    );
    assert.deepEqual(plan.by, [
      { field: 'process', as: 'process' },
      { field: 'dest', as: 'dest' },
    ]);
    assert.deepEqual(plan.aggregates, [
      { fn: 'count', as: 'count' },
      { fn: 'min', field: '_time', as: 'firstTime' },
    ]);
  });

  test('security_content_ctime of a column the search does not output does nothing', () => {
    const plan = planOf('| tstats count from datamodel=Endpoint.Processes by Processes.dest | `security_content_ctime(firstTime)` | `security_content_ctime(count)`');
    assert.deepEqual(plan.ctimeFields, ['count']);
  });

  test('Endpoint.Registry and Endpoint.Filesystem are tstats datamodels with their own object prefixes', () => {
    assert.equal(planOf('| tstats count from datamodel=Endpoint.Registry where Registry.registry_path="*\\\\PortProxy\\\\*" by Registry.dest').dataset, 'Endpoint.Registry');
    assert.equal(planOf('| tstats count from datamodel=Endpoint.Filesystem where Filesystem.file_name="*.ps1" by Filesystem.dest').dataset, 'Endpoint.Filesystem');
  });
});
