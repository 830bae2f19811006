/**
 * Render an event tree as one JSON object in the shape of the evtx crate's `evtx_dump -o jsonl`, so
 * the output feeds Chainsaw, Hayabusa and Zircolite unchanged:
 * - element → scalar when it holds only text (a number/bool when it is one integer/bool value),
 *   null when empty, else an object with `#attributes` (non-empty ones) and `#text`;
 * - repeated child names get `_1`, `_2`… suffixes;
 * - EventData/UserData with named `Data` flatten to `Name: value`; unnamed ones become
 *   `"Data": {"#text": value | [values]}`.
 */
import { XElement, XText } from './tree.js';
import { PART_CDATA, PART_CHARREF, PART_ENTITY, PART_PI, isJsonNative, valueText } from './values.js';

type Part = XElement | XText;

function partNonEmpty(p: XText): boolean {
  if (p.type === PART_PI) return false;
  if (p.type === PART_CHARREF || p.type === PART_ENTITY) return true;
  return p.v !== null && p.v !== undefined && p.v !== '';
}

function hasText(parts: readonly Part[]): boolean {
  for (const p of parts) if (p instanceof XText && partNonEmpty(p)) return true;
  return false;
}

function hasElementChild(parts: readonly Part[]): boolean {
  for (const p of parts) if (p instanceof XElement) return true;
  return false;
}

function textOf(parts: readonly Part[]): string {
  let s = '';
  for (const p of parts) {
    if (!(p instanceof XText)) continue;
    switch (p.type) {
      case PART_CHARREF: s += `&#${p.v as number};`; break;
      case PART_ENTITY: s += `&${p.v as string};`; break;
      case PART_CDATA: s += p.v as string; break;
      case PART_PI: break;
      default: s += valueText(p.type, p.v, 'json');
    }
  }
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
  if (count === 1 && single && isJsonNative(single.type) && !Array.isArray(single.v)) {
    return String(single.v);
  }
  return JSON.stringify(textOf(parts));
}

function attrsObject(el: XElement): string {
  let s = '';
  for (const a of el.attrs) {
    if (!hasText(a.parts)) continue;
    s += `${s ? ',' : ''}${JSON.stringify(a.name)}:${contentValue(a.parts)}`;
  }
  return s ? `"#attributes":{${s}}` : '';
}

function isContainer(name: string): boolean {
  return name === 'EventData' || name === 'UserData';
}

function nameAttr(el: XElement): XText[] | null {
  for (const a of el.attrs) if (a.name === 'Name') return a.parts;
  return null;
}

function dataValue(el: XElement): string {
  const elems = hasElementChild(el.children);
  if (!elems && !hasText(el.children)) return '""';
  return elems ? body(el, false) : contentValue(el.children);
}

function elementValue(el: XElement, container: boolean): string {
  const text = hasText(el.children);
  const attrText = el.attrs.some((a) => hasText(a.parts));
  const elems = hasElementChild(el.children);
  if (!elems && !text && !attrText) return 'null';
  if (!elems && !attrText) return contentValue(el.children);
  return body(el, container);
}

function body(el: XElement, container: boolean): string {
  const fields: string[] = [];
  const attrs = attrsObject(el);
  if (attrs) fields.push(attrs);
  if (hasText(el.children)) fields.push(`"#text":${contentValue(el.children.filter((c) => c instanceof XText))}`);
  const children = el.children.filter((c): c is XElement => c instanceof XElement);
  const flatten = container && children.some((c) => c.name === 'Data' && hasText(nameAttr(c) ?? []));
  const unnamed = container && !flatten ? children.filter((c) => c.name === 'Data') : [];
  let unnamedDone = false;
  const seen = new Map<string, number>();
  for (const child of children) {
    if (container && child.name === 'Data') {
      if (flatten) {
        const name = nameAttr(child);
        if (name && hasText(name)) fields.push(`${JSON.stringify(textOf(name))}:${dataValue(child)}`);
      } else if (!unnamedDone) {
        unnamedDone = true;
        const text = unnamed.length === 1 ? dataValue(child) : `[${unnamed.map(dataValue).join(',')}]`;
        fields.push(`"Data":{"#text":${text}}`);
      }
      continue;
    }
    const n = seen.get(child.name) ?? 0;
    seen.set(child.name, n + 1);
    const key = n === 0 ? child.name : `${child.name}_${n}`;
    fields.push(`${JSON.stringify(key)}:${elementValue(child, isContainer(child.name))}`);
  }
  return `{${fields.join(',')}}`;
}

/** One record as evtx_dump's JSON (a single line). */
export function renderJson(event: XElement): string {
  return `{${JSON.stringify(event.name)}:${elementValue(event, false)}}`;
}
