import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderJson } from '../../../src/sources/evtx/render-json.js';
import { renderXml } from '../../../src/sources/evtx/render-xml.js';
import { XElement, XText } from '../../../src/sources/evtx/tree.js';
import { PART_ENTITY, VT } from '../../../src/sources/evtx/values.js';

const s = (v: string) => new XText(VT.String, v);
const el = (name: string, children: (XElement | XText)[] = [], attrs: Record<string, XText[]> = {}) =>
  new XElement(name, Object.entries(attrs).map(([n, parts]) => ({ name: n, parts })), children);

test('evtx JSON: typed integers are numbers, attributes go under #attributes, text beside them under #text', () => {
  const ev = el('Event', [
    el('System', [
      el('EventID', [new XText(VT.UInt16, 4902)], { Qualifiers: [new XText(VT.UInt16, 0)] }),
      el('Keywords', [new XText(VT.HexInt64, '0x8020000000000000')]),
      el('Correlation'),
      el('Computer', [s('host')]),
    ]),
  ], { xmlns: [s('ns')] });
  assert.deepEqual(JSON.parse(renderJson(ev)), {
    Event: {
      '#attributes': { xmlns: 'ns' },
      System: { EventID: { '#attributes': { Qualifiers: 0 }, '#text': 4902 }, Keywords: '0x8020000000000000', Correlation: null, Computer: 'host' },
    },
  });
});

test('evtx JSON: named Data flatten, unnamed Data collect under Data.#text, repeated names get _1', () => {
  const named = el('Event', [el('EventData', [el('Data', [s('a.exe')], { Name: [s('Image')] }), el('Data', [], { Name: [s('Empty')] })])]);
  assert.deepEqual(JSON.parse(renderJson(named)).Event.EventData, { Image: 'a.exe', Empty: '' });
  const unnamed = el('Event', [el('EventData', [el('Data', [s('x')]), el('Data', [new XText(VT.UInt32, 7)])])]);
  assert.deepEqual(JSON.parse(renderJson(unnamed)).Event.EventData, { Data: { '#text': ['x', 7] } });
  const dup = el('Event', [el('UserData', [el('Op', [el('Item', [s('1')]), el('Item', [s('2')])])])]);
  assert.deepEqual(JSON.parse(renderJson(dup)).Event.UserData, { Op: { Item: '1', Item_1: '2' } });
});

test('Windows XML escapes substituted text, keeps entity references, braces GUIDs and drops empty optional attributes', () => {
  const ev = el('Event', [
    el('Provider', [], { Name: [s('a"b')], Guid: [new XText(VT.Guid, '5770385F-C22A-43E0-BF4C-06F5698FFBD9')], Empty: [] }),
    el('Data', [s('1 < 2 & '), new XText(PART_ENTITY, 'amp')]),
  ]);
  assert.equal(renderXml(ev), '<Event><Provider Name="a&quot;b" Guid="{5770385F-C22A-43E0-BF4C-06F5698FFBD9}"/><Data>1 &lt; 2 &amp; &amp;</Data></Event>');
});
