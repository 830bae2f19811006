/**
 * RawEvent field maps straight from the parsed record (template skeletons + value lists), without
 * building an element tree: this is the hot path of `scan`. Values are rendered as text exactly as
 * Windows' XML shows them (GUIDs in braces, 7-digit FILETIMEs). Nested BinXML values and template
 * instances are transparent; an array substitution contributes all its items, one per line.
 */
import {
  N_CDATA, N_CHARREF, N_ELEMENT, N_ENTITY, N_INSTANCE, N_SUBST, N_TEXT, N_VALUE,
  type ElementNode, type InstanceNode, type Node, type Template, valueOf,
} from './nodes.js';
import type { RecordBudget } from './record-budget.js';
import type { RecordHeader } from './tree.js';
import { VT, fileTimeToIso, valueText } from './values.js';

export interface EventFields { system: Record<string, string>; data: Record<string, string> }

type Visit = (el: ElementNode, inst: InstanceNode | null) => void;

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/**
 * Stand-in skeleton for an instance whose template is missing: its values as positional Data;
 * nested BinXML values are spliced in whole, since they carry their own element names.
 */
function positionalSkeleton(inst: InstanceNode): ElementNode {
  const children: Node[] = inst.types.map((type, index): Node => {
    const subst: Node = { k: N_SUBST, index, type, optional: true };
    return type === VT.BinXml ? subst : { k: N_ELEMENT, name: 'Data', attrs: [], children: [subst] };
  });
  return { k: N_ELEMENT, name: 'EventData', attrs: [], children };
}

/**
 * Visit the elements at this level, looking through template instances and nested BinXML values.
 * `b`, the record's budget, is charged for every node and value walked.
 */
function eachElement(b: RecordBudget, nodes: Node[], inst: InstanceNode | null, visit: Visit, depth = 0): void {
  if (depth > 64) return;
  b.resolve(nodes.length);
  for (const n of nodes) {
    if (n.k === N_ELEMENT) visit(n, inst);
    else if (n.k === N_INSTANCE) {
      if (n.template) eachElement(b, n.template.nodes, n, visit, depth + 1);
      else visit(positionalSkeleton(n), n);
    } else if (n.k === N_SUBST && inst && inst.types[n.index] === VT.BinXml && inst.values[n.index]) {
      eachElement(b, inst.values[n.index] as Node[], null, visit, depth + 1);
    }
  }
}

/** Text directly inside an element (or attribute value), unescaped. */
function textOf(b: RecordBudget, nodes: Node[], inst: InstanceNode | null): string {
  if (nodes.length === 1 && nodes[0].k === N_TEXT) return nodes[0].text;
  let s = '';
  for (const n of nodes) {
    switch (n.k) {
      case N_TEXT: s += n.text; break;
      case N_VALUE: s += valueText(n.type, n.value, 'xml'); break;
      case N_SUBST: {
        if (!inst || n.index >= inst.types.length) break;
        const type = inst.types[n.index];
        if (type === VT.BinXml) break;
        b.value(inst.sizes[n.index]);
        const v = valueOf(inst, n.index);
        if (Array.isArray(v)) s += v.map((x) => valueText(type & 0x7f, x, 'xml')).join('\n');
        else s += valueText(type, v, 'xml');
        break;
      }
      case N_CHARREF: s += String.fromCodePoint(n.code); break;
      case N_ENTITY: s += ENTITIES[n.name] ?? `&${n.name};`; break;
      case N_CDATA: s += n.text; break;
    }
  }
  return s;
}

function attr(b: RecordBudget, el: ElementNode, name: string, inst: InstanceNode | null): string | undefined {
  for (const a of el.attrs) if (a.name === name) return textOf(b, a.value, inst);
  return undefined;
}

function put(map: Record<string, string>, key: string, value: string): void {
  map[key] = map[key] === undefined ? value : `${map[key]}\n${value}`;
}

function systemField(b: RecordBudget, el: ElementNode, inst: InstanceNode | null, out: Record<string, string>): void {
  switch (el.name) {
    case 'Provider': {
      const name = attr(b, el, 'Name', inst);
      if (name !== undefined) out.Provider = name;
      break;
    }
    case 'TimeCreated': {
      const t = attr(b, el, 'SystemTime', inst);
      if (t !== undefined) out.TimeCreated = t;
      break;
    }
    case 'Security': {
      const u = attr(b, el, 'UserID', inst) ?? attr(b, el, 'UserId', inst);
      if (u) out.UserID = u;
      break;
    }
    case 'EventID':
    case 'Channel':
    case 'Computer':
    case 'EventRecordID':
      out[el.name] = textOf(b, el.children, inst);
      break;
  }
}

function userDataLeaves(b: RecordBudget, el: ElementNode, inst: InstanceNode | null, out: Record<string, string>): void {
  let leaf = true;
  eachElement(b, el.children, inst, (ch, ci) => {
    leaf = false;
    userDataLeaves(b, ch, ci, out);
  });
  if (leaf) put(out, el.name, textOf(b, el.children, inst));
}

function section(b: RecordBudget, el: ElementNode, inst: InstanceNode | null, f: EventFields): void {
  if (el.name === 'System') {
    eachElement(b, el.children, inst, (ch, ci) => systemField(b, ch, ci, f.system));
  } else if (el.name === 'EventData') {
    let pos = 0;
    eachElement(b, el.children, inst, (ch, ci) => {
      const name = ch.name === 'Data' ? attr(b, ch, 'Name', ci) : ch.name;
      put(f.data, name || `Data[${pos++}]`, textOf(b, ch.children, ci));
    });
  } else if (el.name === 'UserData') {
    eachElement(b, el.children, inst, (ch, ci) => userDataLeaves(b, ch, ci, f.data));
  }
}

/**
 * Field maps of one record; without an `<Event>` root, System comes from the record header.
 * `budget` bounds the work (the record's, from its ChunkContext).
 */
export function documentFields(nodes: Node[], header: RecordHeader, budget: RecordBudget): EventFields {
  const f: EventFields = { system: {}, data: {} };
  const sawEvent = eachSection(budget, nodes, (el, inst) => section(budget, el, inst, f));
  if (!sawEvent || f.system.EventRecordID === undefined) {
    f.system.EventRecordID ??= String(header.recordId);
    f.system.TimeCreated ??= fileTimeToIso(header.writtenLo, header.writtenHi);
  }
  return f;
}

/**
 * The `EventID` documentFields gives the record (the last System section's), nothing else decoded:
 * what a record's kind is read from.
 */
export function eventIdOf(nodes: Node[], budget: RecordBudget): string | undefined {
  let eventId: string | undefined;
  eachSection(budget, nodes, (el, inst) => {
    if (el.name !== 'System') return;
    eachElement(budget, el.children, inst, (ch, ci) => {
      if (ch.name === 'EventID') eventId = textOf(budget, ch.children, ci);
    });
  });
  return eventId;
}

/** Visits a record's sections: the children of each `<Event>` root, and top-level elements outside one. Whether it met a root. */
function eachSection(budget: RecordBudget, nodes: Node[], visit: Visit): boolean {
  budget.beginResolve();
  let sawEvent = false;
  eachElement(budget, nodes, null, (el, inst) => {
    if (el.name === 'Event') {
      sawEvent = true;
      eachElement(budget, el.children, inst, visit);
    } else visit(el, inst);
  });
  return sawEvent;
}

/**
 * What a template gives a record's payload fields, where its shape lets one field be read alone
 * exactly as documentFields reads it: its `<Data Name="...">` elements by name, and the value slots
 * among its sections, whose nested BinXML (a template instance of its own) holds more. Elements
 * other than System, EventData and UserData give no field.
 */
interface DataPlan {
  data: Map<string, ElementNode>;
  nested: number[];
}

/**
 * The plan of a record's template (`root`: its sections are the children of one `<Event>`) or of
 * a template nested in one (its top-level elements are sections); null for any other shape: a
 * `<UserData>`, an EventData child other than a Data element named by plain text and holding one
 * value slot, a name twice, or anything among the sections but elements, text and value slots.
 */
function planOf(template: Template, root: boolean): DataPlan | null {
  let sections = template.nodes;
  if (root) {
    const roots = sections.filter((n) => n.k !== N_TEXT);
    if (roots.length !== 1 || roots[0].k !== N_ELEMENT || roots[0].name !== 'Event') return null;
    sections = roots[0].children;
  }
  const plan: DataPlan = { data: new Map(), nested: [] };
  for (const section of sections) {
    if (section.k === N_TEXT) continue;
    if (section.k === N_SUBST) plan.nested.push(section.index);
    else if (section.k !== N_ELEMENT || section.name === 'UserData' || (section.name === 'EventData' && !addData(section, plan.data))) return null;
  }
  return plan;
}

/** an EventData's Data elements into `data` by name; false when one is not of the plain shape (planOf) */
function addData(eventData: ElementNode, data: Map<string, ElementNode>): boolean {
  for (const n of eventData.children) {
    if (n.k === N_TEXT) continue;
    if (n.k !== N_ELEMENT || n.name !== 'Data' || n.children.length !== 1 || n.children[0].k !== N_SUBST) return false;
    const nameAttr = n.attrs.filter((a) => a.name === 'Name');
    if (nameAttr.length !== 1 || nameAttr[0].value.some((v) => v.k !== N_TEXT)) return false;
    const name = nameAttr[0].value.map((v) => (v.k === N_TEXT ? v.text : '')).join('');
    // `__proto__` is no own field of documentFields' map
    if (name === '' || name === '__proto__' || data.has(name)) return false;
    data.set(name, n);
  }
  return true;
}

/** per template's nodes (shared by the chunks that define it alike: template-cache.ts) and role, its plan or null (planOf) */
const plans = [new WeakMap<Node[], DataPlan | null>(), new WeakMap<Node[], DataPlan | null>()];

function cachedPlan(template: Template, root: boolean): DataPlan | null {
  const cache = plans[root ? 1 : 0];
  let plan = cache.get(template.nodes);
  if (plan === undefined) cache.set(template.nodes, (plan = planOf(template, root)));
  return plan;
}

/**
 * A reader of a record's payload fields one at a time, each value exactly as documentFields gives
 * it (absent, or in two places that documentFields would join: undefined), without decoding the
 * others; undefined when the record's shape does not allow it (planOf). A kind test's vetoes read
 * one or two fields of each record they rule out.
 */
export function dataReader(nodes: Node[], budget: RecordBudget): ((key: string) => string | undefined) | undefined {
  const outer = nodes.length === 1 && nodes[0].k === N_INSTANCE ? nodes[0] : undefined;
  const plan = outer?.template ? cachedPlan(outer.template, true) : null;
  if (!outer || !plan) return undefined;
  const sources: Array<{ data: Map<string, ElementNode>; inst: InstanceNode }> = [{ data: plan.data, inst: outer }];
  for (const index of plan.nested) {
    // as eachElement: a slot holding nested BinXML is walked, any other value gives no section
    const value = outer.types[index] === VT.BinXml ? outer.values[index] : null;
    if (!value) continue;
    const inner = value as Node[];
    const inst = inner.length === 1 && inner[0].k === N_INSTANCE ? inner[0] : undefined;
    const innerPlan = inst?.template ? cachedPlan(inst.template, false) : null;
    if (!inst || !innerPlan || innerPlan.nested.length > 0) return undefined;
    sources.push({ data: innerPlan.data, inst });
  }
  return (key) => {
    let found: { el: ElementNode; inst: InstanceNode } | undefined;
    for (const { data, inst } of sources) {
      const el = data.get(key);
      if (el === undefined) continue;
      if (found) return undefined;
      found = { el, inst };
    }
    return found && textOf(budget, found.el.children, found.inst);
  };
}
