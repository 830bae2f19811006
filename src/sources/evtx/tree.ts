/**
 * Resolve a parsed record (template skeletons + value lists) into a plain element tree: substitutions
 * filled, optional nulls dropped, nested BinXML spliced in place, array substitutions expanded into
 * one element per item. Renderers (JSON, XML, RawEvent fields) all read this tree.
 */
import {
  N_CDATA, N_CHARREF, N_ELEMENT, N_ENTITY, N_INSTANCE, N_PI, N_SUBST, N_TEXT, N_VALUE,
  type ElementNode, type InstanceNode, type Node, type SubstNode, valueOf,
} from './nodes.js';
import type { RecordBudget } from './record-budget.js';
import { PART_CDATA, PART_CHARREF, PART_ENTITY, PART_PI, VT, fileTimeToIso } from './values.js';

/**
 * A text part: a typed value (type < 0x100) or a PART_* pseudo type. A part that came from a
 * substitution names its source (instance, value index, array item or -1), so a compiled renderer
 * can fill the same place from another record.
 */
export class XText {
  constructor(
    readonly type: number,
    readonly v: unknown,
    readonly src: InstanceNode | null = null,
    readonly index = -1,
    readonly item = -1,
  ) {}
}

export class XElement {
  constructor(
    readonly name: string,
    readonly attrs: XAttr[],
    readonly children: (XElement | XText)[],
  ) {}
}

export interface XAttr { name: string; parts: XText[] }

/** the array value an element is being repeated for: item `k` of value `index` */
interface ArrayPick { index: number; k: number; item: unknown; type: number }

function expandSubst(b: RecordBudget, n: SubstNode, inst: InstanceNode | null, out: (XElement | XText)[], pick: ArrayPick | null, depth: number): void {
  if (!inst || n.index >= inst.types.length) return;
  b.value(inst.sizes[n.index]);
  let type = inst.types[n.index];
  let v = type === VT.BinXml ? inst.values[n.index] : valueOf(inst, n.index);
  let item = -1;
  if (pick && pick.index === n.index) {
    type = pick.type;
    v = pick.item;
    item = pick.k;
  }
  if (type === VT.Null || v === null || v === undefined) return;
  if (type === VT.BinXml) {
    expandNodes(b, v as Node[], null, out, depth + 1);
    return;
  }
  out.push(new XText(type, v, inst, n.index, item));
}

/**
 * Positional fallback for an instance whose template is missing: one `Data` element per value;
 * nested BinXML values are spliced in whole, since they carry their own element names.
 */
function positional(b: RecordBudget, inst: InstanceNode, out: (XElement | XText)[], depth: number): void {
  const data: (XElement | XText)[] = [];
  for (let i = 0; i < inst.types.length; i++) {
    const subst: SubstNode = { k: N_SUBST, index: i, type: inst.types[i], optional: true };
    if (inst.types[i] === VT.BinXml) {
      expandSubst(b, subst, inst, data, null, depth);
      continue;
    }
    const children: (XElement | XText)[] = [];
    expandSubst(b, subst, inst, children, null, depth);
    data.push(new XElement('Data', [], children));
  }
  out.push(new XElement('EventData', [], data));
}

function arraySubst(el: ElementNode, inst: InstanceNode | null): SubstNode | null {
  if (!inst) return null;
  for (const ch of el.children) {
    if (ch.k === N_SUBST && ch.index < inst.types.length && inst.types[ch.index] & VT.ArrayFlag && Array.isArray(valueOf(inst, ch.index))) {
      return ch;
    }
  }
  return null;
}

function expandElement(b: RecordBudget, el: ElementNode, inst: InstanceNode | null, out: (XElement | XText)[], depth: number): void {
  const arr = arraySubst(el, inst);
  if (!arr) {
    out.push(buildElement(b, el, inst, null, depth));
    return;
  }
  const items = inst!.values[arr.index] as unknown[];
  const type = inst!.types[arr.index] & 0x7f;
  if (items.length === 0) out.push(buildElement(b, el, inst, { index: arr.index, k: -1, item: null, type: VT.Null }, depth));
  items.forEach((item, k) => out.push(buildElement(b, el, inst, { index: arr.index, k, item, type }, depth)));
}

/** An attribute keeps text only (nested BinXML could splice elements in); nearly always all of it. */
function textParts(parts: (XElement | XText)[]): XText[] {
  for (const p of parts) if (!(p instanceof XText)) return parts.filter((q): q is XText => q instanceof XText);
  return parts as XText[];
}

function buildElement(b: RecordBudget, el: ElementNode, inst: InstanceNode | null, pick: ArrayPick | null, depth: number): XElement {
  const attrs: XAttr[] = [];
  for (const a of el.attrs) {
    const parts: (XElement | XText)[] = [];
    expandNodes(b, a.value, inst, parts, depth, pick);
    attrs.push({ name: a.name, parts: textParts(parts) });
  }
  const children: (XElement | XText)[] = [];
  expandNodes(b, el.children, inst, children, depth, pick);
  return new XElement(el.name, attrs, children);
}

function expandNodes(b: RecordBudget, nodes: Node[], inst: InstanceNode | null, out: (XElement | XText)[], depth: number, pick: ArrayPick | null = null): void {
  if (depth > 64) return;
  b.resolve(nodes.length);
  for (const n of nodes) {
    switch (n.k) {
      case N_ELEMENT: expandElement(b, n, inst, out, depth); break;
      case N_TEXT: out.push(new XText(VT.String, n.text)); break;
      case N_VALUE: out.push(new XText(n.type, n.value)); break;
      case N_SUBST: expandSubst(b, n, inst, out, pick, depth); break;
      case N_INSTANCE:
        if (n.template) expandNodes(b, n.template.nodes, n, out, depth + 1);
        else positional(b, n, out, depth);
        break;
      case N_CHARREF: out.push(new XText(PART_CHARREF, n.code)); break;
      case N_ENTITY: out.push(new XText(PART_ENTITY, n.name)); break;
      case N_CDATA: out.push(new XText(PART_CDATA, n.text)); break;
      case N_PI: out.push(new XText(PART_PI, n)); break;
    }
  }
}

/** Header facts used when the BinXML cannot supply a System envelope. */
export interface RecordHeader { recordId: number; writtenLo: number; writtenHi: number }

/**
 * The record's `<Event>` element. When the document has no Event root (missing outer template, or
 * nothing decodable), a synthetic Event carries EventRecordID and TimeCreated from the record header.
 * `budget` bounds the work (the record's, from its ChunkContext).
 */
export function buildEventTree(nodes: Node[], header: RecordHeader, budget: RecordBudget): XElement {
  const top = expandDocument(nodes, budget);
  return eventRoot(top) ?? syntheticEvent(top, header);
}

/** The document's own `<Event>` element, or null when it has none. */
export function findEvent(nodes: Node[], budget: RecordBudget): XElement | null {
  return eventRoot(expandDocument(nodes, budget));
}

function expandDocument(nodes: Node[], budget: RecordBudget): (XElement | XText)[] {
  const top: (XElement | XText)[] = [];
  budget.beginResolve();
  expandNodes(budget, nodes, null, top, 0);
  return top;
}

function eventRoot(top: (XElement | XText)[]): XElement | null {
  for (const t of top) if (t instanceof XElement && t.name === 'Event') return t;
  return null;
}

function syntheticEvent(top: (XElement | XText)[], header: RecordHeader): XElement {
  const system = new XElement('System', [], [
    new XElement('TimeCreated', [{ name: 'SystemTime', parts: [new XText(VT.FileTime, fileTimeToIso(header.writtenLo, header.writtenHi))] }], []),
    new XElement('EventRecordID', [], [new XText(VT.UInt64, header.recordId)]),
  ]);
  const rest = top.filter((t): t is XElement => t instanceof XElement);
  return new XElement('Event', [{ name: 'xmlns', parts: [new XText(VT.String, 'http://schemas.microsoft.com/win/2004/08/events/event')] }], [system, ...rest]);
}
