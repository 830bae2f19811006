/**
 * Render an event tree as one JSON object in the shape of the evtx crate's `evtx_dump -o jsonl`, so
 * the output feeds Chainsaw, Hayabusa and Zircolite unchanged:
 * - element → scalar when it holds only text (a number/bool when it is one integer/bool value),
 *   null when empty, else an object with `#attributes` (non-empty ones) and `#text`;
 * - repeated child names get `_1`, `_2`… suffixes;
 * - EventData/UserData with named `Data` flatten to `Name: value`; unnamed ones become
 *   `"Data": {"#text": value | [values]}`.
 *
 * The renderer compiles a tree into a JsonLine: fixed text with holes for the substitution values
 * of numbered instances. Every choice it makes (which keys, null or object, number or string)
 * depends only on the values' types and on which of them are empty, so one compiled line serves
 * every record that agrees with the first on those (see json-lines.ts); a plain tree compiles to
 * fixed text alone.
 */
import { type InstanceNode, valueOf } from './nodes.js';
import type { RecordBudget } from './record-budget.js';
import { DIRECT_TYPES, type JsonOut } from './json-out.js';
import { XElement, XText } from './tree.js';
import { PART_CDATA, PART_CHARREF, PART_ENTITY, PART_PI, VT, isJsonNative, utf16End, valueText } from './values.js';

type Part = XElement | XText;

/** Where a hole's value comes from: instance `seq` (in numbering order), value `index`, array `item` or -1. */
interface Slot { seq: number; index: number; item: number; type: number }

const NATIVE = 0;
const DIRECT = 1;
const ASCII = 2;
const UTF16 = 3;
const TEXT = 4;
const JOINED = 5;

/**
 * NATIVE: a number/bool as is; DIRECT: a value of a DIRECT_TYPES type, written from its bytes. The
 * others are JSON strings whose quotes are fixed text: ASCII, text that never needs escaping;
 * UTF16, a string value escaped straight from the record's bytes; TEXT, any value's text, escaped;
 * JOINED, several parts' text joined, escaped.
 */
type Hole =
  | { kind: typeof NATIVE | typeof DIRECT | typeof ASCII | typeof UTF16 | typeof TEXT; slot: Slot }
  | { kind: typeof JOINED; parts: (string | Slot)[] };

/** `texts[0] hole[0] texts[1] … hole[n-1] texts[n]`, the texts also UTF-8 encoded */
export interface JsonLine { texts: string[]; encoded: Buffer[]; holes: Hole[] }

/** Value types whose text (GUID, ISO time, hex, SID, decimal) has no character JSON must escape. */
const NEVER_ESCAPED = new Set<number>([
  VT.Guid, VT.FileTime, VT.SystemTime, VT.HexInt32, VT.HexInt64, VT.SizeT, VT.Sid, VT.Binary, VT.Real32, VT.Real64,
]);

function stringHole(slot: Slot): Hole {
  if (slot.item < 0 && DIRECT_TYPES.has(slot.type)) return { kind: DIRECT, slot };
  if (NEVER_ESCAPED.has(slot.type)) return { kind: ASCII, slot };
  return { kind: slot.type === VT.String && slot.item < 0 ? UTF16 : TEXT, slot };
}

function nativeHole(slot: Slot): Hole {
  return { kind: slot.item < 0 && DIRECT_TYPES.has(slot.type) ? DIRECT : NATIVE, slot };
}

class LineBuilder {
  private readonly texts: string[] = [];
  private readonly holes: Hole[] = [];
  private text = '';
  constructor(private readonly seqOf: ReadonlyMap<InstanceNode, number> | null) {}
  add(s: string): void {
    this.text += s;
  }
  hole(h: Hole): void {
    this.texts.push(this.text);
    this.text = '';
    this.holes.push(h);
  }
  slot(p: XText): Slot | null {
    const seq = p.src && this.seqOf ? this.seqOf.get(p.src) : undefined;
    return seq === undefined ? null : { seq, index: p.index, item: p.item, type: p.type };
  }
  /** a JSON string whose content is a hole */
  quotedHole(h: Hole): void {
    this.add('"');
    this.hole(h);
    this.add('"');
  }
  finish(): JsonLine {
    this.texts.push(this.text);
    return { texts: this.texts, encoded: this.texts.map((t) => Buffer.from(t, 'utf8')), holes: this.holes };
  }
}

/**
 * JSON string literal of a name. Not memoised: a line is compiled once per template (its names are
 * then text in `JsonLine.texts`), so a module-wide cache would save little and be shared state.
 */
function key(name: string): string {
  return JSON.stringify(name);
}

function partNonEmpty(p: XText): boolean {
  if (p.type === PART_PI) return false;
  if (p.type === PART_CHARREF || p.type === PART_ENTITY) return true;
  return p.v !== null && p.v !== undefined && p.v !== '';
}

function hasText(parts: readonly Part[]): boolean {
  for (const p of parts) if (p instanceof XText && partNonEmpty(p)) return true;
  return false;
}

function partText(p: XText): string {
  switch (p.type) {
    case PART_CHARREF: return `&#${p.v as number};`;
    case PART_ENTITY: return `&${p.v as string};`;
    case PART_CDATA: return p.v as string;
    case PART_PI: return '';
    default: return p.type === VT.String && typeof p.v === 'string' ? p.v : valueText(p.type, p.v, 'json');
  }
}

/** The parts' text joined, as a JSON string; empty parts add nothing, so they are left out. */
function joinedText(parts: readonly Part[], b: LineBuilder): void {
  const pieces: (string | Slot)[] = [];
  let text = '';
  for (const p of parts) {
    if (!(p instanceof XText) || !partNonEmpty(p)) continue;
    const slot = b.slot(p);
    if (!slot) {
      text += partText(p);
      continue;
    }
    if (text) pieces.push(text);
    text = '';
    pieces.push(slot);
  }
  if (pieces.length === 0) b.add(JSON.stringify(text));
  else {
    if (text) pieces.push(text);
    b.quotedHole({ kind: JOINED, parts: pieces });
  }
}

/** A single integer/bool value prints as a JSON number/bool; anything else as a string. */
function contentValue(parts: readonly Part[], b: LineBuilder): void {
  let single: XText | null = null;
  let count = 0;
  for (const p of parts) {
    if (!(p instanceof XText) || !partNonEmpty(p)) continue;
    single = p;
    count++;
  }
  if (count !== 1) {
    joinedText(parts, b);
    return;
  }
  // the other parts are all empty, so the text is the single part's
  const native = isJsonNative(single!.type) && !Array.isArray(single!.v);
  const slot = b.slot(single!);
  if (!slot) b.add(native ? String(single!.v) : JSON.stringify(partText(single!)));
  else if (native) b.hole(nativeHole(slot));
  else b.quotedHole(stringHole(slot));
}

/** `"#attributes":{…}` when some attribute has text; tells whether it wrote anything */
function attrsObject(el: XElement, b: LineBuilder): boolean {
  let any = false;
  for (const a of el.attrs) {
    if (!hasText(a.parts)) continue;
    b.add(`${any ? ',' : '"#attributes":{'}${key(a.name)}:`);
    any = true;
    contentValue(a.parts, b);
  }
  if (any) b.add('}');
  return any;
}

function hasAttrText(el: XElement): boolean {
  for (const a of el.attrs) if (hasText(a.parts)) return true;
  return false;
}

function isContainer(name: string): boolean {
  return name === 'EventData' || name === 'UserData';
}

function nameAttr(el: XElement): XText[] | null {
  for (const a of el.attrs) if (a.name === 'Name') return a.parts;
  return null;
}

/** 1: some element child, 2: some non-empty text part (bit set) */
function contentKinds(parts: readonly Part[]): number {
  let kinds = 0;
  for (const p of parts) {
    if (p instanceof XElement) kinds |= 1;
    else if (!(kinds & 2) && partNonEmpty(p)) kinds |= 2;
    if (kinds === 3) break;
  }
  return kinds;
}

function dataValue(el: XElement, b: LineBuilder): void {
  const kinds = contentKinds(el.children);
  if (kinds === 0) b.add('""');
  else if (kinds & 1) body(el, false, kinds, b);
  else contentValue(el.children, b);
}

function elementValue(el: XElement, container: boolean, b: LineBuilder): void {
  const kinds = contentKinds(el.children);
  if (kinds & 1 || hasAttrText(el)) body(el, container, kinds, b);
  else if (kinds & 2) contentValue(el.children, b);
  else b.add('null');
}

function flattens(children: readonly Part[]): boolean {
  for (const c of children) {
    if (c instanceof XElement && c.name === 'Data' && hasText(nameAttr(c) ?? [])) return true;
  }
  return false;
}

function unnamedData(children: readonly Part[], b: LineBuilder): void {
  const data = children.filter((c): c is XElement => c instanceof XElement && c.name === 'Data');
  b.add('"Data":{"#text":');
  if (data.length === 1) dataValue(data[0], b);
  else {
    b.add('[');
    data.forEach((d, i) => {
      if (i > 0) b.add(',');
      dataValue(d, b);
    });
    b.add(']');
  }
  b.add('}');
}

function body(el: XElement, container: boolean, kinds: number, b: LineBuilder): void {
  b.add('{');
  let empty = !attrsObject(el, b);
  const separate = () => {
    if (!empty) b.add(',');
    empty = false;
  };
  if (kinds & 2) {
    separate();
    b.add('"#text":');
    contentValue(el.children, b);
  }
  const flatten = container && flattens(el.children);
  let unnamedDone = false;
  let seen: Map<string, number> | null = null;
  let first: string | undefined;
  for (const child of el.children) {
    if (!(child instanceof XElement)) continue;
    if (container && child.name === 'Data') {
      if (flatten) {
        const name = nameAttr(child);
        if (!name || !hasText(name)) continue;
        separate();
        joinedText(name, b);
        b.add(':');
        dataValue(child, b);
      } else {
        if (unnamedDone) continue;
        unnamedDone = true;
        separate();
        unnamedData(el.children, b);
      }
      continue;
    }
    // repeated names are rare: the map is only made once a second child element appears
    let n = 0;
    if (first === undefined) first = child.name;
    else {
      seen ??= new Map([[first, 1]]);
      n = seen.get(child.name) ?? 0;
      seen.set(child.name, n + 1);
    }
    separate();
    b.add(`${n === 0 ? key(child.name) : JSON.stringify(`${child.name}_${n}`)}:`);
    elementValue(child, isContainer(child.name), b);
  }
  b.add('}');
}

/**
 * Compile an event tree. Parts from the instances in `seqOf` become holes filled per record by
 * `fillJsonLine`; every other part is fixed text.
 */
export function compileJsonLine(event: XElement, seqOf: ReadonlyMap<InstanceNode, number> | null): JsonLine {
  const b = new LineBuilder(seqOf);
  b.add(`{${key(event.name)}:`);
  elementValue(event, false, b);
  b.add('}');
  return b.finish();
}

function slotValue(s: Slot, insts: readonly InstanceNode[]): unknown {
  const v = valueOf(insts[s.seq], s.index);
  return s.item < 0 ? v : (v as unknown[])[s.item];
}

function slotText(s: Slot, insts: readonly InstanceNode[]): string {
  return valueText(s.type, slotValue(s, insts), 'json');
}

function slotBytes(s: Slot, insts: readonly InstanceNode[]): number {
  return insts[s.seq].sizes[s.index];
}

function writeHole(out: JsonOut, h: Hole, insts: readonly InstanceNode[], budget: RecordBudget): void {
  if (h.kind === JOINED) for (const p of h.parts) budget.value(typeof p === 'string' ? 0 : slotBytes(p, insts));
  else budget.value(slotBytes(h.slot, insts));
  switch (h.kind) {
    case NATIVE: out.ascii(String(slotValue(h.slot, insts))); break;
    case DIRECT: {
      const inst = insts[h.slot.seq];
      out.value(h.slot.type, inst.buf, inst.offs[h.slot.index], inst.sizes[h.slot.index]);
      break;
    }
    case ASCII: out.ascii(slotText(h.slot, insts)); break;
    case UTF16: {
      const inst = insts[h.slot.seq];
      const p = inst.offs[h.slot.index];
      out.utf16(inst.buf, p, utf16End(inst.buf, p, inst.sizes[h.slot.index]));
      break;
    }
    case TEXT: out.string(slotText(h.slot, insts)); break;
    case JOINED: {
      let s = '';
      for (const p of h.parts) s += typeof p === 'string' ? p : slotText(p, insts);
      out.string(s);
      break;
    }
  }
}

/** Write one record's line: `insts` numbered as when the line was compiled; `budget` is the record's. */
export function fillJsonLine(line: JsonLine, insts: readonly InstanceNode[], out: JsonOut, budget: RecordBudget): void {
  budget.resolve(line.holes.length);
  out.bytes(line.encoded[0]);
  for (let i = 0; i < line.holes.length; i++) {
    writeHole(out, line.holes[i], insts, budget);
    out.bytes(line.encoded[i + 1]);
  }
}

/** One record as evtx_dump's JSON (a single line). */
export function renderJson(event: XElement): string {
  return compileJsonLine(event, null).texts[0];
}
