/**
 * evtx_dump JSON of a record through compiled lines. Records of one event type share their
 * templates, so the JSON of a template instance is compiled once (render-json.ts) and then only its
 * values are filled in. A compiled line fits every record whose instances have the same template
 * structures and whose values have the same types, emptiness and array lengths: that is the
 * record's signature, the cache key. Templates are matched by structure, not by chunk offset, so a
 * line compiled in one chunk serves the same templates redefined in every later chunk and file.
 * Records that do not fit (no single top instance, a missing template, nested BinXML that is not
 * one instance) are rendered from their element tree, as before.
 */
import {
  N_CDATA, N_CHARREF, N_ELEMENT, N_ENTITY, N_INSTANCE, N_PI, N_SUBST, N_TEXT, N_VALUE,
  type InstanceNode, type Node, type Template, valueOf,
} from './binxml.js';
import { JsonOut } from './json-out.js';
import { compileJsonLine, fillJsonLine, renderJson, type JsonLine } from './render-json.js';
import { buildEventTree, findEvent, type RecordHeader } from './tree.js';
import { VT, isEmptyScalar } from './values.js';

/** A template definition's structure, shared by every chunk that defines the same one. */
export interface TemplateShape {
  id: number;
  nodes: Node[];
  /** value indices the definition substitutes, in order of first use */
  uses: number[];
}

/** Bounds on what the caches hold for a whole run; past them they start over. */
const MAX_SHAPES = 4096;
const MAX_LINES = 8192;

let nextShapeId = 0;
let shapeCount = 0;
/** shapes by template GUID (a GUID may, in corrupt or crafted logs, name several structures) */
const shapesByGuid = new Map<string, TemplateShape[]>();
let lineCount = 0;
/** compiled lines by signature hash; `line` null: the record has no Event root, render its tree */
const lines = new Map<number, Array<{ sig: number[]; line: JsonLine | null }>>();

function sameNodes(a: readonly Node[], b: readonly Node[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameNode(a[i], b[i])) return false;
  return true;
}

function sameNode(x: Node, y: Node): boolean {
  if (x.k !== y.k) return false;
  switch (x.k) {
    case N_ELEMENT: {
      const e = y as typeof x;
      if (x.name !== e.name || x.attrs.length !== e.attrs.length || !sameNodes(x.children, e.children)) return false;
      return x.attrs.every((a, i) => a.name === e.attrs[i].name && sameNodes(a.value, e.attrs[i].value));
    }
    case N_TEXT: return x.text === (y as typeof x).text;
    case N_SUBST: {
      const s = y as typeof x;
      return x.index === s.index && x.type === s.type && x.optional === s.optional;
    }
    case N_VALUE: return x.type === (y as typeof x).type && Object.is(x.value, (y as typeof x).value);
    case N_CHARREF: return x.code === (y as typeof x).code;
    case N_ENTITY: return x.name === (y as typeof x).name;
    case N_CDATA: return x.text === (y as typeof x).text;
    case N_PI: return x.target === (y as typeof x).target && x.data === (y as typeof x).data;
    case N_INSTANCE: return false;
  }
}

/** Substituted value indices (first use order); false when some node is a template instance. */
function collectUses(nodes: readonly Node[], uses: number[]): boolean {
  for (const n of nodes) {
    if (n.k === N_INSTANCE) return false;
    if (n.k === N_SUBST && !uses.includes(n.index)) uses.push(n.index);
    if (n.k !== N_ELEMENT) continue;
    for (const a of n.attrs) if (!collectUses(a.value, uses)) return false;
    if (!collectUses(n.children, uses)) return false;
  }
  return true;
}

/**
 * The structure a template definition shares with other chunks'; null when it holds a template
 * instance of its own, which no line is compiled for.
 */
function shapeOf(tpl: Template): TemplateShape | null {
  if (tpl.shape !== undefined) return tpl.shape;
  const known = shapesByGuid.get(tpl.guid)?.find((s) => sameNodes(s.nodes, tpl.nodes));
  tpl.shape = known ?? newShape(tpl);
  return tpl.shape;
}

function newShape(tpl: Template): TemplateShape | null {
  const uses: number[] = [];
  // not registered either: its instance nodes hold on to their chunk's bytes
  if (!collectUses(tpl.nodes, uses)) return null;
  if (shapeCount >= MAX_SHAPES) forgetAll();
  const shape = { id: nextShapeId++, nodes: tpl.nodes, uses };
  shapeCount++;
  const list = shapesByGuid.get(tpl.guid);
  if (list) list.push(shape);
  else shapesByGuid.set(tpl.guid, [shape]);
  return shape;
}

/** shape ids keep counting up, so lines cached before a reset can never match a new shape */
function forgetAll(): void {
  shapesByGuid.clear();
  shapeCount = 0;
  lines.clear();
  lineCount = 0;
}

const EMPTY = 0x100;
const NESTED = 0x200;

function isEmpty(v: unknown): boolean {
  return v === null || v === undefined || v === '';
}

/**
 * The current record's signature (`sig[0, sigLength)`) and its instances in signature order
 * (`insts[0, instCount)`); both arrays are reused from record to record.
 */
const sig: number[] = [];
let sigLength = 0;
const insts: InstanceNode[] = [];
let instCount = 0;

/**
 * Append the instance's signature: its shape, value count, then per used value its type with
 * EMPTY/NESTED flags (arrays: length and each item's emptiness; nested instances: theirs, inline).
 * Scalars are not decoded: most are written straight from their bytes (render-json.ts). False when
 * no line can be compiled for this instance.
 */
function signInstance(inst: InstanceNode): boolean {
  const shape = inst.template && shapeOf(inst.template);
  if (!shape) return false;
  insts[instCount++] = inst;
  const count = inst.types.length;
  sig[sigLength++] = shape.id;
  sig[sigLength++] = count;
  for (const i of shape.uses) {
    if (i >= count) continue;
    const type = inst.types[i];
    if (type === VT.BinXml) {
      const nested = inst.values[i] as Node[] | null;
      if (!nested || nested.length === 0) sig[sigLength++] = type | EMPTY;
      else if (nested.length === 1 && nested[0].k === N_INSTANCE) {
        sig[sigLength++] = type | NESTED;
        if (!signInstance(nested[0])) return false;
      } else return false;
    } else if (!(type & VT.ArrayFlag)) {
      sig[sigLength++] = isEmptyScalar(inst.buf, inst.offs[i], inst.sizes[i], type) ? type | EMPTY : type;
    } else {
      const v = valueOf(inst, i) as unknown[];
      sig[sigLength++] = type;
      sig[sigLength++] = v.length;
      for (const item of v) sig[sigLength++] = isEmpty(item) ? EMPTY : 0;
    }
  }
  return true;
}

function sigHash(): number {
  let h = 0;
  for (let i = 0; i < sigLength; i++) h = (Math.imul(h, 31) + sig[i]) | 0;
  return h;
}

function isSig(s: readonly number[]): boolean {
  if (s.length !== sigLength) return false;
  for (let i = 0; i < sigLength; i++) if (s[i] !== sig[i]) return false;
  return true;
}

/** The compiled line for the current signature, compiling it from this record on first sight. */
function lineFor(nodes: Node[]): JsonLine | null {
  const hash = sigHash();
  const list = lines.get(hash);
  if (list) for (const e of list) if (isSig(e.sig)) return e.line;
  const event = findEvent(nodes); // throws (as the tree renderer would) before anything is cached
  const seqOf = new Map<InstanceNode, number>();
  for (let seq = 0; seq < instCount; seq++) seqOf.set(insts[seq], seq);
  const line = event && compileJsonLine(event, seqOf);
  if (lineCount >= MAX_LINES) {
    lines.clear();
    lineCount = 0;
  }
  const entry = { sig: sig.slice(0, sigLength), line };
  const known = lines.get(hash);
  if (known) known.push(entry);
  else lines.set(hash, [entry]);
  lineCount++;
  return line;
}

function writeRecord(nodes: Node[], header: RecordHeader, out: JsonOut): void {
  sigLength = 0;
  instCount = 0;
  const fits = nodes.length === 1 && nodes[0].k === N_INSTANCE && signInstance(nodes[0]);
  const line = fits ? lineFor(nodes) : null;
  if (line) fillJsonLine(line, insts, out);
  else out.raw(renderJson(buildEventTree(nodes, header)));
}

/**
 * evtx_dump JSON lines of one chunk's records, written into one buffer and read back as one text:
 * one string per chunk, not one per record.
 */
export class JsonLines {
  private readonly out = new JsonOut();
  private lineStart = 0;

  begin(): void {
    this.out.reset();
  }

  /** Write one record's line. A throw can leave part of it written: `dropPartial` removes that. */
  add(nodes: Node[], header: RecordHeader): void {
    this.lineStart = this.out.length;
    writeRecord(nodes, header, this.out);
    this.out.ascii('\n');
  }

  dropPartial(): void {
    this.out.truncate(this.lineStart);
  }

  /** the lines written since `begin`, each ending in a newline (JSON lines hold no raw newline) */
  text(): string {
    return this.out.toString();
  }
}
