/**
 * Render an event tree as Windows event XML on one line (double-quoted attributes, GUIDs in braces,
 * FILETIME with 7 fractional digits), the shape the Windows XML text source reads back.
 * Substituted strings are raw and get escaped here; char/entity references are already entities.
 */
import { XElement, XText } from './tree.js';
import { PART_CDATA, PART_CHARREF, PART_ENTITY, PART_PI, valueText } from './values.js';
import type { PINode } from './binxml.js';

const TEXT_ESC = /[&<>]/g;
const ATTR_ESC = /[&<>"']/g;
const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

function escape(s: string, re: RegExp): string {
  return s.replace(re, (ch) => ESC[ch]);
}

function partsXml(parts: readonly (XElement | XText)[], re: RegExp): string {
  let s = '';
  for (const p of parts) {
    if (p instanceof XElement) {
      s += elementXml(p);
      continue;
    }
    switch (p.type) {
      case PART_CHARREF: s += `&#${p.v as number};`; break;
      case PART_ENTITY: s += `&${p.v as string};`; break;
      case PART_CDATA: s += `<![CDATA[${p.v as string}]]>`; break;
      case PART_PI: {
        const pi = p.v as PINode;
        s += `<?${pi.target}${pi.data ? ` ${pi.data}` : ''}?>`;
        break;
      }
      default: s += escape(valueText(p.type, p.v, 'xml'), re);
    }
  }
  return s;
}

function elementXml(el: XElement): string {
  let s = `<${el.name}`;
  for (const a of el.attrs) {
    if (a.parts.length === 0) continue; // every part was an optional substitution left empty
    s += ` ${a.name}="${partsXml(a.parts, ATTR_ESC)}"`;
  }
  if (el.children.length === 0) return `${s}/>`;
  return `${s}>${partsXml(el.children, TEXT_ESC)}</${el.name}>`;
}

/** One record as Windows XML on a single line. */
export function renderXml(event: XElement): string {
  return elementXml(event);
}
