/**
 * Render an event tree as Windows event XML on one line (double-quoted attributes, GUIDs in braces,
 * FILETIME with 7 fractional digits), the shape the Windows XML text source reads back.
 * Substituted strings are raw and get escaped here; char/entity references are already entities.
 */
import { XElement, XText } from './tree.js';
import { PART_CDATA, PART_CHARREF, PART_ENTITY, PART_PI, valueText } from './values.js';
import type { PINode } from './nodes.js';
import { escapeXmlAttribute, escapeXmlText } from '../xml-escape.js';

type Escape = (s: string) => string;

function partsXml(parts: readonly (XElement | XText)[], escape: Escape): string {
  let s = '';
  for (const p of parts) {
    if (p instanceof XElement) {
      s += elementXml(p);
      continue;
    }
    switch (p.type) {
      case PART_CHARREF: s += `&#${p.v as number};`; break;
      case PART_ENTITY: s += `&${p.v as string};`; break;
      // CDATA and processing instructions cannot hold references: their text is escaped as text
      case PART_CDATA: s += escape(p.v as string); break;
      case PART_PI: {
        const pi = p.v as PINode;
        s += `<?${escapeXmlText(pi.target)}${pi.data ? ` ${escapeXmlText(pi.data)}` : ''}?>`;
        break;
      }
      default: s += escape(valueText(p.type, p.v, 'xml'));
    }
  }
  return s;
}

function elementXml(el: XElement): string {
  // names come from the record too: a corrupt one may hold controls or markup
  const name = escapeXmlAttribute(el.name);
  let s = `<${name}`;
  for (const a of el.attrs) {
    if (a.parts.length === 0) continue; // every part was an optional substitution left empty
    s += ` ${escapeXmlAttribute(a.name)}="${partsXml(a.parts, escapeXmlAttribute)}"`;
  }
  if (el.children.length === 0) return `${s}/>`;
  return `${s}>${partsXml(el.children, escapeXmlText)}</${name}>`;
}

/** One record as Windows XML on a single line. */
export function renderXml(event: XElement): string {
  return elementXml(event);
}
