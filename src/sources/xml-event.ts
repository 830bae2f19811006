/**
 * Tolerant, non-validating reader for ONE Windows-style `<Event>` element (Windows XML, wevtutil,
 * Sysmon for Linux). It never expands entities beyond the five predefined ones and numeric character
 * references, never reads a DTD, and survives the damage seen in real data: entities whose `;` was
 * replaced by a space (`&lt unknown process&gt `), truncated events, stray `<` in text.
 */

export interface XmlEventFields {
  system: Record<string, string>;
  data: Record<string, string>;
}

/** `event` is set when the fields are usable, even if `error` reports damage that was recovered from. */
export interface XmlEventParse {
  event?: XmlEventFields;
  error?: string;
}

const enum Section {
  None,
  System,
  EventData,
  UserData,
  Other,
}

const PREDEFINED: ReadonlyArray<readonly [string, string]> = [
  ['lt', '<'],
  ['gt', '>'],
  ['amp', '&'],
  ['quot', '"'],
  ['apos', "'"],
];

/** Decodes the 5 predefined entities and numeric references; anything else stays literal. */
export function decodeEntities(s: string): string {
  let amp = s.indexOf('&');
  if (amp < 0) return s;
  let out = '';
  let last = 0;
  while (amp >= 0) {
    const decoded = decodeEntityAt(s, amp);
    if (decoded) {
      out += s.slice(last, amp) + decoded.text;
      last = decoded.end;
    }
    amp = s.indexOf('&', decoded ? decoded.end : amp + 1);
  }
  return out + s.slice(last);
}

function decodeEntityAt(s: string, amp: number): { text: string; end: number } | undefined {
  const p = amp + 1;
  if (s.charCodeAt(p) === 0x23 /* # */) return decodeCharRef(s, p + 1);
  for (const [name, ch] of PREDEFINED) {
    if (!s.startsWith(name, p)) continue;
    const after = p + name.length;
    const next = s.charCodeAt(after);
    // `;` is the norm; a space stands in for a `;` that a pipeline stripped (OTRF Linux data)
    if (next === 0x3b || next === 0x20) return { text: ch, end: after + 1 };
    if (isNameChar(next)) return undefined;
    return { text: ch, end: after };
  }
  return undefined;
}

function decodeCharRef(s: string, start: number): { text: string; end: number } | undefined {
  const hex = s.charCodeAt(start) === 0x78 /* x */ || s.charCodeAt(start) === 0x58;
  let i = hex ? start + 1 : start;
  const digitsStart = i;
  while (i < s.length && (hex ? isHexDigit(s.charCodeAt(i)) : isDigit(s.charCodeAt(i)))) i++;
  if (i === digitsStart || i - digitsStart > 8) return undefined;
  const cp = parseInt(s.slice(digitsStart, i), hex ? 16 : 10);
  if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
  const end = s.charCodeAt(i) === 0x3b ? i + 1 : i;
  return { text: String.fromCodePoint(cp), end };
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

function isNameStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x3a || c > 0x7f;
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || isDigit(c) || c === 0x2d || c === 0x2e;
}

/** the bytes that delimit XML tags: `<`, `>`, `/` (the byte framers and probes read raw events with them) */
export const LT = 0x3c;
export const GT = 0x3e;
export const SLASH = 0x2f;

/** XML's whitespace: space, tab, LF, CR */
export function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function localName(qname: string): string {
  const colon = qname.indexOf(':');
  return colon < 0 ? qname : qname.slice(colon + 1);
}

interface Tag {
  name: string;
  /** name, value, name, value...: a tag has few attributes, so a flat list beats a Map */
  attrs: string[] | undefined;
  selfClosing: boolean;
  end: number;
}

/** bytes that end an attribute name: whitespace, `=`, `>`, `/` */
function isAttrNameEnd(c: number): boolean {
  return isSpace(c) || c === 0x3d || c === 0x3e || c === 0x2f;
}

/**
 * Parses a start tag at `lt`; undefined when it is cut off. Attributes are decoded only when the
 * builder reads them (most tags' are skipped over, quotes still respected, never collected).
 */
function readStartTag(xml: string, lt: number, b: EventBuilder, depth: number): Tag | undefined {
  const len = xml.length;
  let i = lt + 1;
  let colon = -1;
  for (let c = xml.charCodeAt(i); isNameChar(c); c = xml.charCodeAt(++i)) if (c === 0x3a && colon < 0) colon = i;
  const name = xml.slice(colon < 0 ? lt + 1 : colon + 1, i);
  const collect = b.wantsAttributes(name, depth);
  let attrs: string[] | undefined;
  for (;;) {
    let c = xml.charCodeAt(i);
    while (isSpace(c)) c = xml.charCodeAt(++i);
    if (i >= len) return undefined;
    if (c === 0x3e /* > */) return { name, attrs, selfClosing: false, end: i + 1 };
    if (c === 0x2f /* / */) {
      if (xml.charCodeAt(i + 1) === 0x3e) return { name, attrs, selfClosing: true, end: i + 2 };
      i++;
      continue;
    }
    const nameStart = i;
    while (i < len && !isAttrNameEnd(xml.charCodeAt(i))) i++;
    const nameEnd = i;
    c = xml.charCodeAt(i);
    while (isSpace(c)) c = xml.charCodeAt(++i);
    if (c !== 0x3d /* = */) {
      if (i === nameStart) i++;
      continue;
    }
    c = xml.charCodeAt(++i);
    while (isSpace(c)) c = xml.charCodeAt(++i);
    let valueStart = i;
    let valueEnd: number;
    if (c === 0x22 /* " */ || c === 0x27 /* ' */) {
      valueEnd = xml.indexOf(c === 0x22 ? '"' : "'", i + 1);
      if (valueEnd < 0) return undefined;
      valueStart = i + 1;
      i = valueEnd + 1;
    } else {
      while (i < len && !isSpace((c = xml.charCodeAt(i))) && c !== 0x3e) i++;
      valueEnd = i;
    }
    if (collect) (attrs ??= []).push(localName(xml.slice(nameStart, nameEnd)), decodeEntities(xml.slice(valueStart, valueEnd)));
  }
}

/** Depth of the open element an end tag at `lt` closes (its last occurrence in the stack), or -1. */
function closedDepth(xml: string, lt: number, gt: number, stack: string[], depth: number): number {
  const top = depth > 0 ? stack[depth - 1] : undefined;
  // the usual case, `</Name>` closing the innermost element, needs no slicing
  if (top !== undefined && gt === lt + 2 + top.length && xml.startsWith(top, lt + 2)) return depth - 1;
  const name = localName(xml.slice(lt + 2, gt).trim());
  for (let k = depth - 1; k >= 0; k--) if (stack[k] === name) return k;
  return -1;
}

class EventBuilder {
  readonly system: Record<string, string> = {};
  readonly data: Record<string, string> = {};
  section = Section.None;
  private unnamed = 0;
  /** the element whose text is being collected; cleared when a child element starts */
  leaf: string | undefined;
  text = '';

  /** whether start() will read the attributes of a `name` element at `depth` */
  wantsAttributes(name: string, depth: number): boolean {
    if (depth < 2) return false;
    if (this.section === Section.System) return name === 'Provider' || name === 'TimeCreated' || name === 'Security' || name === 'Execution';
    return this.section === Section.EventData && name === 'Data';
  }

  start(tag: Tag, depth: number): void {
    this.leaf = undefined;
    if (depth === 1) {
      this.section = sectionOf(tag.name);
      return;
    }
    if (depth < 1 || this.section === Section.Other || this.section === Section.None) return;
    let key = tag.name;
    if (this.section === Section.System) {
      this.systemAttributes(tag);
    } else if (this.section === Section.EventData && tag.name === 'Data') {
      key = attribute(tag.attrs, 'Name') ?? `Data[${this.unnamed++}]`;
    }
    if (tag.selfClosing) {
      if (this.section !== Section.System) this.assign(key, '');
      return;
    }
    this.leaf = key;
    this.text = '';
  }

  end(): void {
    if (this.leaf !== undefined) this.assign(this.leaf, this.text);
    this.leaf = undefined;
  }

  private assign(key: string, value: string): void {
    if (this.section === Section.System) this.system[key] = value;
    else this.data[key] = value;
  }

  private systemAttributes(tag: Tag): void {
    const a = tag.attrs;
    if (!a) return;
    switch (tag.name) {
      case 'Provider':
        setIf(this.system, 'Provider', attribute(a, 'Name') ?? attribute(a, 'EventSourceName'));
        break;
      case 'TimeCreated':
        setIf(this.system, 'TimeCreated', attribute(a, 'SystemTime'));
        break;
      case 'Security':
        setIf(this.system, 'UserID', attribute(a, 'UserID') ?? attribute(a, 'UserId'));
        break;
      case 'Execution':
        setIf(this.system, 'ExecutionProcessID', attribute(a, 'ProcessID'));
        setIf(this.system, 'ExecutionThreadID', attribute(a, 'ThreadID'));
        break;
    }
  }
}

/** the value of the last `name` attribute (a repeated attribute's last value wins) */
function attribute(attrs: string[] | undefined, name: string): string | undefined {
  if (!attrs) return undefined;
  for (let i = attrs.length - 2; i >= 0; i -= 2) if (attrs[i] === name) return attrs[i + 1];
  return undefined;
}

function setIf(target: Record<string, string>, key: string, value: string | undefined): void {
  if (value !== undefined) target[key] = value;
}

function sectionOf(name: string): Section {
  switch (name) {
    case 'System':
      return Section.System;
    case 'EventData':
      return Section.EventData;
    case 'UserData':
      return Section.UserData;
    default:
      return Section.Other;
  }
}

/** Turns one `<Event>` element into System and EventData/UserData fields. Never throws. */
export function parseXmlEvent(xml: string): XmlEventParse {
  const b = new EventBuilder();
  /** open element names; only the first `depth` are live */
  const stack: string[] = [];
  let depth = 0;
  let closed = false;
  let error: string | undefined;
  let i = 0;
  let sawRoot = false;
  while (i < xml.length && !closed) {
    const lt = xml.indexOf('<', i);
    if (lt < 0) break;
    if (b.leaf !== undefined && lt > i) b.text += decodeEntities(xml.slice(i, lt));
    const c = xml.charCodeAt(lt + 1);
    if (c === 0x2f /* / */) {
      const gt = xml.indexOf('>', lt);
      if (gt < 0) {
        error = 'truncated end tag';
        break;
      }
      const at = closedDepth(xml, lt, gt, stack, depth);
      if (at >= 0) {
        if (at === depth - 1) b.end();
        else b.leaf = undefined;
        depth = at;
        if (at === 0) closed = true;
        else if (at === 1) b.section = Section.None;
      }
      i = gt + 1;
    } else if (c === 0x21 /* ! */) {
      if (xml.startsWith('<![CDATA[', lt)) {
        const e = xml.indexOf(']]>', lt + 9);
        if (e < 0) {
          error = 'truncated CDATA section';
          break;
        }
        if (b.leaf !== undefined) b.text += xml.slice(lt + 9, e);
        i = e + 3;
      } else {
        const terminator = xml.startsWith('<!--', lt) ? '-->' : '>';
        const e = xml.indexOf(terminator, lt + 2);
        if (e < 0) {
          error = 'truncated comment or declaration';
          break;
        }
        i = e + terminator.length;
      }
    } else if (c === 0x3f /* ? */) {
      const e = xml.indexOf('?>', lt + 2);
      if (e < 0) {
        error = 'truncated processing instruction';
        break;
      }
      i = e + 2;
    } else if (isNameStart(c)) {
      const tag = readStartTag(xml, lt, b, depth);
      if (!tag) {
        error = 'truncated start tag';
        break;
      }
      if (depth === 0) {
        if (sawRoot || tag.name !== 'Event') return { error: `expected <Event>, found <${tag.name}>` };
        sawRoot = true;
        if (tag.selfClosing) return { error: 'empty <Event/> element' };
        stack[depth++] = tag.name;
      } else {
        b.start(tag, depth);
        if (!tag.selfClosing) stack[depth++] = tag.name;
      }
      i = tag.end;
    } else {
      // a stray `<` in text (badly escaped data): keep it as text
      if (b.leaf !== undefined) b.text += '<';
      i = lt + 1;
    }
  }
  if (!sawRoot) return { error: error ?? 'no <Event> element' };
  if (!closed) error ??= 'truncated event: no </Event>';
  const event = { system: b.system, data: b.data };
  if (error === undefined) return { event };
  const recoverable = b.system.EventID !== undefined && Object.keys(b.data).length > 0;
  return recoverable ? { event, error } : { error };
}
