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
} from './nodes.js';
import type { RecordBudget } from './record-budget.js';
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

function sameNodes(a: readonly Node[], b: readonly Node[]): boolean {
  // chunks that define a template alike share its nodes (template-cache.ts)
  if (a === b) return true;
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

const EMPTY = 0x100;
const NESTED = 0x200;

function isEmpty(v: unknown): boolean {
  return v === null || v === undefined || v === '';
}

/**
 * evtx_dump JSON lines of one chunk's records at a time, written into one buffer and read back as
 * one text: one string per chunk, not one per record. An instance keeps its compiled lines and
 * template shapes across chunks (and files): a reader or worker owns one, nothing is module state.
 */
export class JsonLines {
  private readonly out = new JsonOut();
  private lineStart = 0;

  private nextShapeId = 0;
  private shapeCount = 0;
  /** shapes by template GUID (a GUID may, in corrupt or crafted logs, name several structures) */
  private readonly shapesByGuid = new Map<string, TemplateShape[]>();
  /** each template definition's shape, once looked up */
  private shapeOfTemplate = new WeakMap<Template, TemplateShape | null>();
  private lineCount = 0;
  /** compiled lines by signature hash; `line` null: the record has no Event root, render its tree */
  private readonly lines = new Map<number, Array<{ sig: number[]; line: JsonLine | null }>>();

  /**
   * The current record's signature (`sig[0, sigLength)`) and its instances in signature order
   * (`insts[0, instCount)`); both arrays are reused from record to record.
   */
  private readonly sig: number[] = [];
  private sigLength = 0;
  private readonly insts: InstanceNode[] = [];
  private instCount = 0;

  begin(): void {
    this.out.reset();
  }

  /** Write one record's line. A throw can leave part of it written: `dropPartial` removes that. */
  add(nodes: Node[], header: RecordHeader, budget: RecordBudget): void {
    this.lineStart = this.out.length;
    this.writeRecord(nodes, header, budget);
    this.out.ascii('\n');
  }

  dropPartial(): void {
    this.out.truncate(this.lineStart);
  }

  /** the lines written since `begin`, each ending in a newline (JSON lines hold no raw newline) */
  text(): string {
    return this.out.toString();
  }

  private writeRecord(nodes: Node[], header: RecordHeader, budget: RecordBudget): void {
    this.sigLength = 0;
    this.instCount = 0;
    const fits = nodes.length === 1 && nodes[0].k === N_INSTANCE && this.signInstance(nodes[0], budget);
    const line = fits ? this.lineFor(nodes, budget) : null;
    if (line) fillJsonLine(line, this.insts, this.out, budget);
    else this.out.raw(renderJson(buildEventTree(nodes, header, budget)));
  }

  /**
   * The structure a template definition shares with other chunks'; null when it holds a template
   * instance of its own, which no line is compiled for.
   */
  private shapeOf(tpl: Template): TemplateShape | null {
    let shape = this.shapeOfTemplate.get(tpl);
    if (shape !== undefined) return shape;
    const known = this.shapesByGuid.get(tpl.guid)?.find((s) => sameNodes(s.nodes, tpl.nodes));
    shape = known ?? this.newShape(tpl);
    this.shapeOfTemplate.set(tpl, shape);
    return shape;
  }

  private newShape(tpl: Template): TemplateShape | null {
    const uses: number[] = [];
    // not registered either: its instance nodes hold on to their chunk's bytes
    if (!collectUses(tpl.nodes, uses)) return null;
    if (this.shapeCount >= MAX_SHAPES) this.forgetAll();
    const shape = { id: this.nextShapeId++, nodes: tpl.nodes, uses };
    this.shapeCount++;
    const list = this.shapesByGuid.get(tpl.guid);
    if (list) list.push(shape);
    else this.shapesByGuid.set(tpl.guid, [shape]);
    return shape;
  }

  /** shape ids keep counting up, so lines cached before a reset can never match a new shape */
  private forgetAll(): void {
    this.shapesByGuid.clear();
    this.shapeOfTemplate = new WeakMap();
    this.shapeCount = 0;
    this.lines.clear();
    this.lineCount = 0;
  }

  /**
   * Append the instance's signature: its shape, value count, then per used value its type with
   * EMPTY/NESTED flags (arrays: length and each item's emptiness; nested instances: theirs, inline).
   * Scalars are not decoded: most are written straight from their bytes (render-json.ts). False when
   * no line can be compiled for this instance.
   */
  private signInstance(inst: InstanceNode, budget: RecordBudget): boolean {
    const shape = inst.template && this.shapeOf(inst.template);
    if (!shape) return false;
    budget.resolve(shape.uses.length + 1);
    const sig = this.sig;
    this.insts[this.instCount++] = inst;
    const count = inst.types.length;
    sig[this.sigLength++] = shape.id;
    sig[this.sigLength++] = count;
    for (const i of shape.uses) {
      if (i >= count) continue;
      const type = inst.types[i];
      if (type === VT.BinXml) {
        const nested = inst.values[i] as Node[] | null;
        if (!nested || nested.length === 0) sig[this.sigLength++] = type | EMPTY;
        else if (nested.length === 1 && nested[0].k === N_INSTANCE) {
          sig[this.sigLength++] = type | NESTED;
          if (!this.signInstance(nested[0], budget)) return false;
        } else return false;
      } else if (!(type & VT.ArrayFlag)) {
        sig[this.sigLength++] = isEmptyScalar(inst.buf, inst.offs[i], inst.sizes[i], type) ? type | EMPTY : type;
      } else {
        const v = valueOf(inst, i) as unknown[];
        sig[this.sigLength++] = type;
        sig[this.sigLength++] = v.length;
        for (const item of v) sig[this.sigLength++] = isEmpty(item) ? EMPTY : 0;
      }
    }
    return true;
  }

  private sigHash(): number {
    let h = 0;
    for (let i = 0; i < this.sigLength; i++) h = (Math.imul(h, 31) + this.sig[i]) | 0;
    return h;
  }

  private isSig(s: readonly number[]): boolean {
    if (s.length !== this.sigLength) return false;
    for (let i = 0; i < this.sigLength; i++) if (s[i] !== this.sig[i]) return false;
    return true;
  }

  /** The compiled line for the current signature, compiling it from this record on first sight. */
  private lineFor(nodes: Node[], budget: RecordBudget): JsonLine | null {
    const hash = this.sigHash();
    const list = this.lines.get(hash);
    if (list) for (const e of list) if (this.isSig(e.sig)) return e.line;
    const event = findEvent(nodes, budget); // throws (as the tree renderer would) before anything is cached
    const seqOf = new Map<InstanceNode, number>();
    for (let seq = 0; seq < this.instCount; seq++) seqOf.set(this.insts[seq], seq);
    const line = event && compileJsonLine(event, seqOf);
    if (this.lineCount >= MAX_LINES) {
      this.lines.clear();
      this.lineCount = 0;
    }
    const entry = { sig: this.sig.slice(0, this.sigLength), line };
    const known = this.lines.get(hash);
    if (known) known.push(entry);
    else this.lines.set(hash, [entry]);
    this.lineCount++;
    return line;
  }
}
