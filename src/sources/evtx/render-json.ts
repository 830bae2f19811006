/**
 * Render an event tree as one JSON object in the shape of the evtx crate's `evtx_dump -o jsonl`, so
 * the output feeds Chainsaw, Hayabusa and Zircolite unchanged:
 * - element → scalar when it holds only text (a number/bool when it is one integer/bool value),
 *   null when empty, else an object with `#attributes` (non-empty ones) and `#text`;
 * - repeated child names get `_1`, `_2`… suffixes;
 * - EventData/UserData with named `Data` flatten to `Name: value`; unnamed ones become
 *   `"Data": {"#text": value | [values]}`.
 * This is the hot path of `dump`: each element's parts are scanned once, and keys are quoted once
 * per name (element and attribute names repeat in every record).
 */
import { XElement, XText } from './tree.js';
import { PART_CDATA, PART_CHARREF, PART_ENTITY, PART_PI, VT, isJsonNative, valueText } from './values.js';

type Part = XElement | XText;

const quoted = new Map<string, string>();

/** JSON string literal of a name, cached: names come from a small per-log vocabulary */
function key(name: string): string {
  let q = quoted.get(name);
  if (q === undefined) {
    q = JSON.stringify(name);
    if (quoted.size < 4096) quoted.set(name, q);
  }
  return q;
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

function textOf(parts: readonly Part[]): string {
  let s = '';
  for (const p of parts) if (p instanceof XText) s += partText(p);
  return s;
}

/** A single integer/bool value prints as a JSON number/bool; anything else as a string. */
function contentValue(parts: readonly Part[]): string {
  let single: XText | null = null;
  let count = 0;
  for (const p of parts) {
    if (!(p instanceof XText) || !partNonEmpty(p)) continue;
    single = p;
    count++;
  }
  if (count === 1) {
    // the other parts are all empty, so the text is the single part's
    if (isJsonNative(single!.type) && !Array.isArray(single!.v)) return String(single!.v);
    return JSON.stringify(partText(single!));
  }
  return JSON.stringify(textOf(parts));
}

function attrsObject(el: XElement): string {
  let s = '';
  for (const a of el.attrs) {
    if (!hasText(a.parts)) continue;
    s += `${s ? ',' : ''}${key(a.name)}:${contentValue(a.parts)}`;
  }
  return s ? `"#attributes":{${s}}` : '';
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

function dataValue(el: XElement): string {
  const kinds = contentKinds(el.children);
  if (kinds === 0) return '""';
  return kinds & 1 ? body(el, false, kinds) : contentValue(el.children);
}

function elementValue(el: XElement, container: boolean): string {
  const kinds = contentKinds(el.children);
  const attrText = hasAttrText(el);
  if (!(kinds & 1) && !attrText) return kinds & 2 ? contentValue(el.children) : 'null';
  return body(el, container, kinds);
}

function flattens(children: readonly Part[]): boolean {
  for (const c of children) {
    if (c instanceof XElement && c.name === 'Data' && hasText(nameAttr(c) ?? [])) return true;
  }
  return false;
}

function unnamedData(children: readonly Part[]): string {
  let n = 0;
  let first: XElement | null = null;
  let list = '';
  for (const c of children) {
    if (!(c instanceof XElement) || c.name !== 'Data') continue;
    list += `${n === 0 ? '' : ','}${dataValue(c)}`;
    if (n === 0) first = c;
    n++;
  }
  return `"Data":{"#text":${n === 1 ? dataValue(first!) : `[${list}]`}}`;
}

function body(el: XElement, container: boolean, kinds: number): string {
  let s = attrsObject(el);
  if (kinds & 2) s += `${s ? ',' : ''}"#text":${contentValue(el.children)}`;
  const flatten = container && flattens(el.children);
  let unnamedDone = false;
  let seen: Map<string, number> | null = null;
  let first: string | undefined;
  for (const child of el.children) {
    if (!(child instanceof XElement)) continue;
    let field: string;
    if (container && child.name === 'Data') {
      if (flatten) {
        const name = nameAttr(child);
        if (!name || !hasText(name)) continue;
        field = `${JSON.stringify(textOf(name))}:${dataValue(child)}`;
      } else {
        if (unnamedDone) continue;
        unnamedDone = true;
        field = unnamedData(el.children);
      }
    } else {
      // repeated names are rare: the map is only made once a second child element appears
      let n = 0;
      if (first === undefined) first = child.name;
      else {
        seen ??= new Map([[first, 1]]);
        n = seen.get(child.name) ?? 0;
        seen.set(child.name, n + 1);
      }
      field = `${n === 0 ? key(child.name) : JSON.stringify(`${child.name}_${n}`)}:${elementValue(child, isContainer(child.name))}`;
    }
    s += s ? `,${field}` : field;
  }
  return `{${s}}`;
}

/** One record as evtx_dump's JSON (a single line). */
export function renderJson(event: XElement): string {
  return `{${key(event.name)}:${elementValue(event, false)}}`;
}
