import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { compileMatchedValues, matchedValuesByDetection } from '../../../src/engine/matched-values.js';
import { loadDetectionFile } from '../../../src/rules/escu.js';
import { detectionWith } from '../../helpers/detections.js';
import { repoRoot } from '../../helpers/paths.js';

/** the marked text of each span, as a view would cut it */
function marked(columns: Record<string, unknown>, spans: Record<string, Array<[number, number, number]>> | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [column, list] of Object.entries(spans ?? {})) {
    const value = columns[column];
    const values = Array.isArray(value) ? value : [String(value)];
    out[column] = list.map(([i, s, e]) => `${i}:${values[i].slice(s, e)}`);
  }
  return out;
}

test('matched values: the ESCU ngrok detection marks the ngrok.exe process name whole and the matched words inside the command line, as the log spelled them', async () => {
  const { detections, errors } = await loadDetectionFile(path.join(repoRoot, 'content', 'detections', 'windows_ngrok_reverse_proxy_usage.yml'));
  assert.deepEqual(errors, []);
  const record = {
    detection_id: detections[0].id,
    process_name: 'NGROK.EXE',
    process: 'C:\\Tools\\ngrok.exe TCP 3389 --authtoken <script>x</script>',
    parent_process_name: 'ngrok.exe',
    dest: 'wks-01',
  };
  const spans = matchedValuesByDetection(detections)(record);
  assert.deepEqual(marked(record, spans), { process_name: ['0:NGROK.EXE'], process: ['0:TCP', '0:authtoken'] });
  // the spans are offsets into the value, not copies of it
  assert.deepEqual(spans?.process, [[0, 19, 22], [0, 30, 39]]);
});

test('matched values: segments of a wildcard pattern are marked where the engine matched them (prefix, leftmost middle, suffix); NOT and != leaves mark nothing', () => {
  const d = detectionWith({
    where: {
      kind: 'and',
      terms: [
        { kind: 'compare', field: 'process', op: '=', pattern: 'c:\\*cloudflared*tunnel*run' },
        { kind: 'not', term: { kind: 'compare', field: 'process', op: '=', pattern: '*--help*' } },
        { kind: 'compare', field: 'user', op: '!=', pattern: 'system' },
      ],
    },
    by: [{ field: 'process', as: 'process' }, { field: 'user', as: 'user' }],
  });
  const columns = { process: 'C:\\x\\cloudflared.exe tunnel --url tunnel run', user: 'alice' };
  assert.deepEqual(marked(columns, compileMatchedValues(d)(columns)), { process: ['0:C:\\', '0:cloudflared', '0:tunnel', '0:run'] });
});

test('matched values: a values() column marks each matching value by its index; Sigma regex and glob tests mark their match; a value nothing matched has no span', () => {
  const d = detectionWith({
    where: {
      kind: 'or',
      terms: [
        { kind: 'test', field: 'query', test: { op: 'regex', pattern: '\\.trycloudflare\\.com$', flags: '' } },
        { kind: 'test', field: 'query', test: { op: 'glob', tokens: [{ wildcard: '*' }, 'NGROK', { wildcard: '*' }], cased: false } },
      ],
    },
    aggregates: [{ fn: 'count', as: 'count' }, { fn: 'values', field: 'query', as: 'queries' }],
  });
  const columns = { queries: ['example.org', 'abc.trycloudflare.com', 'x.ngrok-free.app'] };
  assert.deepEqual(marked(columns, compileMatchedValues(d)(columns)), { queries: ['1:.trycloudflare.com', '2:ngrok'] });
  assert.equal(compileMatchedValues(d)({ queries: ['example.org'] }), undefined);
});
