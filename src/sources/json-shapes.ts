import type { SkipCode } from '../diagnostics/codes.js';

/**
 * What a parsed JSON record turned out to be: an event of a family (`family` is a registered
 * event family's name, src/families/registry.ts), or a skip with its reason.
 */
export type JsonRecord =
  | { kind: 'event'; family: string; system: Record<string, string>; data: Record<string, string> }
  | { kind: 'skip'; code: SkipCode; reason: string };

export type JsonObject = Record<string, unknown>;

/**
 * One JSON shape an event family recognises (CrowdStrike's flat object with `event_simpleName`,
 * evtx_dump's `{"Event":{"System":…}}`...). Declared here, where the jsonl source reads JSON; each
 * family declares its shapes in its own folder, and the run passes them in (`SourceContext.jsonShapes`).
 */
export interface JsonShape {
  readonly name: string;
  /**
   * A permissive shape (a few common keys, as NXLog's flat Windows events): tried after every
   * shape that names a key of its own, whatever the registry order.
   */
  readonly fallback?: boolean;
  /** the record as this shape reads it; undefined: not this shape */
  read(record: JsonObject): JsonRecord | undefined;
}

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Recognises a JSON value by the first shape (in the order given) that reads it. */
export function classifyJson(v: unknown, shapes: readonly JsonShape[]): JsonRecord {
  if (!isJsonObject(v)) return { kind: 'skip', code: 'invalid-json', reason: 'JSON value is not an object' };
  for (const shape of shapes) {
    const record = shape.read(v);
    if (record !== undefined) return record;
  }
  return { kind: 'skip', code: 'unrecognised-record', reason: 'JSON object matches no known event shape' };
}

/** Shapes in the order they are tried: those naming a key of their own first, the permissive ones last. */
export function orderJsonShapes(shapes: readonly JsonShape[]): JsonShape[] {
  return [...shapes.filter((s) => !s.fallback), ...shapes.filter((s) => s.fallback)];
}

/** JSON scalars as the log would print them; integers never in exponent form. */
export function scalarString(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      // beyond 2^53 String() rounds the digits (Keywords as int64) or switches to exponent form
      return Number.isInteger(v) && !Number.isSafeInteger(v) ? BigInt(v).toString() : String(v);
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      return undefined;
  }
}

/** The top-level scalar fields of an object as text, but those in `exclude`. */
export function topLevelScalars(obj: JsonObject, exclude: ReadonlySet<string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in obj) {
    if (exclude.has(k)) continue;
    const s = scalarString(obj[k]);
    if (s !== undefined) out[k] = s;
  }
  return out;
}

/** `target[key]` = the scalar `v` as text, when it is one. */
export function put(target: Record<string, string>, key: string, v: unknown): void {
  const s = scalarString(v);
  if (s !== undefined) target[key] = s;
}

/** An evtx_dump element's `#attributes` object (empty when it has none). */
export function attributes(v: unknown): JsonObject {
  return isJsonObject(v) && isJsonObject(v['#attributes']) ? v['#attributes'] : {};
}

/**
 * Depth-first over nested values with an explicit stack, in document order: a record nested
 * thousands deep (crafted, or broken) must not overflow the call stack.
 */
export function walkDepthFirst<T>(root: Iterable<T>, visit: (item: T) => Iterable<T> | undefined): void {
  const stack: Iterator<T>[] = [root[Symbol.iterator]()];
  while (stack.length > 0) {
    const next = stack[stack.length - 1].next();
    if (next.done) {
      stack.pop();
      continue;
    }
    const inner = visit(next.value);
    if (inner) stack.push(inner[Symbol.iterator]());
  }
}

export function leaf(data: Record<string, string>, k: string, v: unknown): void {
  if (Array.isArray(v)) data[k] = v.map((x) => scalarString(x) ?? '').join(',');
  else if (v === null) data[k] = '';
  else put(data, k, v);
}

/** Leaves of nested objects by their own key (UserData, event_data), attributes ignored. */
export function flattenLeaves(o: JsonObject, data: Record<string, string>): void {
  walkDepthFirst(Object.entries(o), ([k, v]) => {
    if (k === '#attributes') return undefined;
    if (isJsonObject(v)) return Object.entries(v);
    leaf(data, k, v);
    return undefined;
  });
}
