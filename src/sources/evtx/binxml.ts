/**
 * BinXML token parser. Template definitions are parsed once per chunk into a node skeleton whose
 * substitution nodes are value slots (or found among those earlier chunks defined alike:
 * template-cache.ts); a record then costs one walk of its instance's value list.
 * Every read is bounds-checked against the enclosing structure and every loop advances, so corrupt
 * input ends in a thrown BinXmlError that the record decoder catches; the work a record may cost is
 * bounded by its size (RecordBudget), so crafted nesting ends in a WorkLimitError, never in a hang.
 */
import {
  LAZY, N_CDATA, N_CHARREF, N_ELEMENT, N_ENTITY, N_INSTANCE, N_PI, N_SUBST, N_TEXT, N_VALUE,
  type AttrNode, type ElementNode, type InstanceNode, type Node, type Template,
} from './nodes.js';
import { RecordBudget } from './record-budget.js';
import type { NameRef, TemplateCache } from './template-cache.js';
import { decodeValue, fixedWidth, u16, u32, VT } from './values.js';

/**
 * Corrupt BinXML. Thrown and caught per damaged structure, so it captures no stack trace: corrupt
 * input is data, and a trace costs more than parsing the bytes did.
 */
export class BinXmlError extends Error {
  constructor(message: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
  }
}

function fail(msg: string): never {
  throw new BinXmlError(msg);
}

/** Recursion bound for nested BinXML / template chains in corrupt input (real logs nest 2-3 deep). */
const MAX_DEPTH = 32;

/**
 * The decoding context of one chunk: names and templates are addressed by chunk-relative offsets,
 * so their caches live here, with the current record's budget and problems. Nothing about a decode
 * lives in module state, so chunks decode concurrently or re-entrantly without surprises.
 */
export class ChunkContext {
  readonly names = new Map<number, string>();
  readonly templatesAt = new Map<number, Template | null>();
  /** template bytes this chunk may still parse: bounds the work garbage offsets can cause */
  templateBudget = 16 * 65536;
  /** the current record's work (begun by the caller per record) */
  readonly budget = new RecordBudget();
  /** problems met while decoding the current record (reset by the caller per record) */
  warnings: string[] = [];
  /** elements parsed so far: tells whether a failed parse met any element header (see parseNested) */
  elements = 0;
  /** the name references the template definition being parsed meets (absolute offsets), for `templates` */
  nameRefs: NameRef[] | null = null;
  /** `templates`: definitions parsed in earlier chunks, reused where this chunk's are the same */
  constructor(
    readonly buf: Buffer,
    readonly templates?: TemplateCache,
  ) {}
}

class Cursor {
  constructor(public pos: number, public end: number) {}
  need(n: number): void {
    if (this.pos + n > this.end) fail(`truncated BinXML at chunk offset ${this.pos}`);
  }
}

function readName(c: ChunkContext, off: number): string {
  const cached = c.names.get(off);
  if (cached !== undefined) return cached;
  const b = c.buf;
  if (off + 8 > b.length) fail(`name offset ${off} outside chunk`);
  const n = u16(b, off + 6);
  if (off + 8 + 2 * n > b.length) fail(`name at ${off} runs past chunk end`);
  const name = b.toString('utf16le', off + 8, off + 8 + 2 * n);
  c.names.set(off, name);
  return name;
}

/** A name reference: u32 chunk offset; when it points right here the Name structure follows inline. */
function readNameRef(c: ChunkContext, cur: Cursor): string {
  cur.need(4);
  const field = cur.pos;
  const off = u32(c.buf, field);
  cur.pos += 4;
  if (off !== cur.pos) {
    const name = readName(c, off);
    c.nameRefs?.push({ at: field, name, inline: false });
    return name;
  }
  cur.need(8);
  const n = u16(c.buf, cur.pos + 6);
  cur.need(10 + 2 * n);
  const name = readName(c, off);
  cur.pos += 10 + 2 * n;
  c.nameRefs?.push({ at: field, name, inline: true });
  return name;
}

function readUtf16Counted(c: ChunkContext, cur: Cursor): string {
  cur.need(2);
  const n = u16(c.buf, cur.pos);
  cur.pos += 2;
  cur.need(2 * n);
  const s = c.buf.toString('utf16le', cur.pos, cur.pos + 2 * n);
  cur.pos += 2 * n;
  return s;
}

/**
 * Parse tokens into `out` until EOF, the end of the range, or (inside an element) its end token.
 * `inDef` selects the element layout with a dependency id, present only in template definitions.
 */
function parseContent(c: ChunkContext, cur: Cursor, inDef: boolean, depth: number, out: Node[], inElement: boolean): void {
  const b = c.buf;
  while (cur.pos < cur.end) {
    c.budget.parse();
    const tok = b[cur.pos];
    switch (tok & 0x1f) {
      case 0x00:
        cur.pos++;
        if (inElement) fail('EOF inside an element');
        return;
      case 0x01:
        out.push(parseElement(c, cur, inDef, depth));
        break;
      case 0x04:
        if (!inElement) fail(`unexpected end-element token at ${cur.pos}`);
        cur.pos++;
        return;
      case 0x05:
      case 0x07:
      case 0x08:
      case 0x09:
      case 0x0d:
      case 0x0e:
        out.push(parseLeaf(c, cur));
        break;
      case 0x0a: {
        cur.pos++;
        const target = readNameRef(c, cur);
        let data = '';
        if (cur.pos < cur.end && b[cur.pos] === 0x0b) {
          cur.pos++;
          data = readUtf16Counted(c, cur);
        }
        out.push({ k: N_PI, target, data });
        break;
      }
      case 0x0b:
        cur.pos++;
        out.push({ k: N_PI, target: '', data: readUtf16Counted(c, cur) });
        break;
      case 0x0c:
        out.push(parseInstance(c, cur, depth));
        break;
      case 0x0f:
        cur.need(4);
        cur.pos += 4;
        break;
      default:
        fail(`unknown BinXML token 0x${tok.toString(16)} at chunk offset ${cur.pos}`);
    }
  }
  if (inElement) fail('element runs past the end of its data');
}

/** Tokens that can stand in text or attribute-value position. */
function parseLeaf(c: ChunkContext, cur: Cursor): Node {
  const b = c.buf;
  const tok = b[cur.pos] & 0x1f;
  cur.pos++;
  switch (tok) {
    case 0x05: {
      cur.need(1);
      const type = b[cur.pos++];
      if (type === VT.String) return { k: N_TEXT, text: readUtf16Counted(c, cur) };
      const w = fixedWidth(type);
      if (w === undefined) fail(`value text of unsupported type 0x${type.toString(16)}`);
      cur.need(w);
      const value = decodeValue(b, cur.pos, w, type);
      cur.pos += w;
      return { k: N_VALUE, type, value };
    }
    case 0x07:
      return { k: N_CDATA, text: readUtf16Counted(c, cur) };
    case 0x08:
      cur.need(2);
      cur.pos += 2;
      return { k: N_CHARREF, code: u16(b, cur.pos - 2) };
    case 0x09:
      return { k: N_ENTITY, name: readNameRef(c, cur) };
    default: {
      cur.need(3);
      const index = u16(b, cur.pos);
      const type = b[cur.pos + 2];
      cur.pos += 3;
      return { k: N_SUBST, index, type, optional: tok === 0x0e };
    }
  }
}

function isLeafToken(tok: number): boolean {
  const t = tok & 0x1f;
  return t === 0x05 || t === 0x07 || t === 0x08 || t === 0x09 || t === 0x0d || t === 0x0e;
}

function parseElement(c: ChunkContext, cur: Cursor, inDef: boolean, depth: number): ElementNode {
  if (depth > MAX_DEPTH) fail('BinXML nested too deep');
  c.elements++;
  const b = c.buf;
  const tok = b[cur.pos];
  cur.pos++;
  cur.need(inDef ? 6 : 4);
  cur.pos += inDef ? 6 : 4; // dependency id (templates only) + element data size
  const name = readNameRef(c, cur);
  const attrs: AttrNode[] = [];
  if (tok & 0x40) {
    cur.need(4);
    cur.pos += 4; // attribute list size
    while (cur.pos < cur.end && (b[cur.pos] & 0x1f) === 0x06) {
      c.budget.parse();
      cur.pos++;
      const aname = readNameRef(c, cur);
      const value: Node[] = [];
      while (cur.pos < cur.end && isLeafToken(b[cur.pos])) {
        c.budget.parse();
        value.push(parseLeaf(c, cur));
      }
      attrs.push({ name: aname, value });
    }
  }
  cur.need(1);
  const close = b[cur.pos];
  cur.pos++;
  const children: Node[] = [];
  if (close === 0x02) parseContent(c, cur, inDef, depth + 1, children, true);
  else if (close !== 0x03) fail(`bad close-start token 0x${close.toString(16)} at ${cur.pos - 1}`);
  return { k: N_ELEMENT, name, attrs, children };
}

/**
 * Parse (or fetch) the template definition at chunk offset `off`; null when it is not a valid one.
 * A definition an earlier chunk parsed (`c.templates`) is not parsed again.
 */
function templateAt(c: ChunkContext, off: number, depth: number): Template | null {
  const cached = c.templatesAt.get(off);
  if (cached !== undefined) return cached;
  c.templatesAt.set(off, null); // guards against self-referencing definitions in corrupt chunks
  const b = c.buf;
  if (off + 24 > b.length) return null;
  const size = u32(b, off + 20);
  const start = off + 24;
  const end = Math.min(start + size, b.length);
  c.templateBudget -= end - off;
  if (c.templateBudget < 0) {
    c.warnings.push('too many template definitions in one chunk');
    return null;
  }
  const guid = b.toString('hex', off + 4, off + 20);
  // a definition cut short by its chunk's end is parsed (and fails) here only
  const key = c.templates && end === start + size ? `${guid}:${size}` : undefined;
  const kept = key === undefined ? undefined : c.templates?.find(key, b, start, end, (at) => readName(c, at));
  if (kept) {
    c.elements += kept.elements;
    const tpl: Template = { offset: off, guid, nodes: kept.nodes };
    c.templatesAt.set(off, tpl);
    return tpl;
  }
  const outerRefs = c.nameRefs;
  const elements = c.elements;
  c.nameRefs = key === undefined ? null : [];
  try {
    const nodes: Node[] = [];
    parseContent(c, new Cursor(start, end), true, depth + 1, nodes, false);
    const tpl: Template = { offset: off, guid, nodes };
    c.templatesAt.set(off, tpl);
    if (key !== undefined && c.nameRefs) {
      const refs = c.nameRefs.map((ref) => ({ ...ref, at: ref.at - start }));
      c.templates?.keep(key, b, start, end, refs, nodes, c.elements - elements);
    }
    return tpl;
  } catch (e) {
    if (!(e instanceof BinXmlError) && !(e instanceof RangeError)) throw e;
    c.warnings.push(`template at chunk offset ${off} is incomplete: ${e.message}`);
    return null;
  } finally {
    c.nameRefs = outerRefs;
  }
}

function parseInstance(c: ChunkContext, cur: Cursor, depth: number): InstanceNode {
  if (depth > MAX_DEPTH) fail('template instances nested too deep');
  const b = c.buf;
  cur.need(10);
  const defOff = u32(b, cur.pos + 6);
  cur.pos += 10;
  let template: Template | null;
  if (defOff === cur.pos) {
    cur.need(24);
    const size = u32(b, cur.pos + 20);
    template = templateAt(c, defOff, depth);
    cur.pos += 24 + size;
    if (cur.pos > cur.end) fail('inline template runs past the end of its record');
  } else {
    template = templateAt(c, defOff, depth);
    if (!template) c.warnings.push(`missing template at chunk offset ${defOff}`);
  }
  cur.need(4);
  const count = u32(b, cur.pos);
  cur.pos += 4;
  cur.need(count * 4);
  const types: number[] = new Array(count);
  const values: unknown[] = new Array(count);
  const offs: number[] = new Array(count);
  const sizes: number[] = new Array(count);
  let vpos = cur.pos + count * 4;
  for (let i = 0; i < count; i++) {
    const d = cur.pos + i * 4;
    const size = u16(b, d);
    const type = b[d + 2];
    types[i] = type;
    offs[i] = vpos;
    sizes[i] = size;
    if (vpos + size > cur.end) fail(`substitution value ${i} runs past the end of its data`);
    values[i] = type === VT.BinXml ? parseNested(c, vpos, vpos + size, depth) : LAZY;
    vpos += size; // always advance by the descriptor size, whatever the type consumed
  }
  cur.pos = vpos;
  return { k: N_INSTANCE, template, types, values, offs, sizes, buf: b };
}

/**
 * Nested BinXML (type 0x21) normally has no dependency ids; some forwarded events were written with
 * them, so on failure retry with the other layout before giving up on the value. The layouts differ
 * only in element headers: a failure that met none would fail the same way again, so it is not
 * retried (nested retries would otherwise double the work at every level of nesting).
 */
function parseNested(c: ChunkContext, start: number, end: number, depth: number): Node[] | null {
  const warnings = c.warnings.length;
  const elements = c.elements;
  for (let pass = 0; pass < 2; pass++) {
    const inDef = pass === 1;
    const nodes: Node[] = [];
    try {
      parseContent(c, new Cursor(start, end), inDef, depth + 1, nodes, false);
      return nodes;
    } catch (e) {
      if (!(e instanceof BinXmlError) && !(e instanceof RangeError)) throw e;
      c.warnings.length = warnings;
      if (inDef || c.elements === elements) {
        c.warnings.push(`nested BinXML at chunk offset ${start}: ${e.message}`);
        break;
      }
    }
  }
  return null;
}

/** Parse a record's BinXML document, [start, end) chunk-relative. Throws BinXmlError on corruption. */
export function parseDocument(c: ChunkContext, start: number, end: number): Node[] {
  const nodes: Node[] = [];
  parseContent(c, new Cursor(start, end), false, 0, nodes, false);
  return nodes;
}
