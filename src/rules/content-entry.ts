/**
 * The compiled-content cache's file (content-cache.ts). Two parts of each detection are kept out
 * of line and parsed when first read: its event search (`plan.where`) and its details (what
 * reports, risk and tests read: description, references, columns, risk, ...). On SigmaHQ's five
 * categories they are 6.9 and 3.3 of the entry's 13 MB. A scan reads the searches of the
 * detections its events are candidates for (the candidate index restores its buckets without
 * them: candidate-index.ts) and the details of those with findings; parsing everything took ~150
 * ms of every start-up, and as much again in the garbage it made.
 *
 * A scan hands its content to worker threads in this form too (encodeEntry copies the parts still
 * unread as they are), so that each thread also reads only what it uses. From the cache, the
 * entry's bytes are read the same way (EntryBytes): the head at once, each part from the file when
 * first used; reading all 13 MB cost ~40 ms of every SigmaHQ start-up on a VM where each page of
 * fresh memory is a trap to the hypervisor.
 *
 * Layout, all ASCII (ascii-json.ts): the head's length in decimal, a newline, the head, then the
 * section. The head is the content as JSON with, per detection, `plan.where` replaced by where the
 * search's text ends in the section and the details replaced by `details`: where their text ends
 * and the index of their keys in `detailKeys`; and the section's length. The section holds each
 * detection's search and then its details, detection after detection.
 */
import { isAscii } from 'node:buffer';
import { asciiJson } from './ascii-json.js';
import type { Content } from './content.js';
import type { Detection } from './detection.js';

/** a plan's one unread key */
const SEARCH_KEYS = ['where'];

/** what a scan reads of every detection while it starts (the rest are its details) */
const IN_HEAD = new Set<string>(['id', 'name', 'ruleId', 'type', 'plan', 'output'] satisfies Array<keyof Detection>);

/**
 * Head values most detections have alike, kept once in the entry's `shared` list and referred to
 * by index: SigmaHQ's 3,475 detections have one aggregate list, seven BY lists and one output
 * setting between them, which were half the head's 2.4 MB and 45,000 objects to parse at every
 * start. Decoded, detections share these values, frozen.
 */
const SHARED_PLAN_KEYS = ['aggregates', 'by'] as const;

interface StoredDetection {
  plan: { where: number; aggregates?: number; by?: number };
  output?: number;
  details: [end: number, keys: number];
}

type Stored<T extends Content> = Omit<T, 'detections'> & { detections: StoredDetection[]; detailKeys: string[][]; shared: unknown[]; sectionLength: number };

/** values kept once, by their JSON text */
class SharedValues {
  readonly values: unknown[] = [];
  private readonly byText = new Map<string, number>();

  indexOf(value: unknown): number {
    const text = asciiJson(value);
    let at = this.byText.get(text);
    if (at === undefined) this.byText.set(text, (at = this.values.push(value) - 1));
    return at;
  }
}

/**
 * The entry of `content`. Parts of a decoded entry still unread are copied as they were, not
 * parsed (a scan hands its content to worker threads this way: content-entry bytes, each part
 * read where it is used).
 */
export function encodeEntry(content: Content): string {
  const texts: string[] = [];
  let end = 0;
  const outOfLine = (text: string) => {
    texts.push(text);
    return (end += text.length);
  };
  const detailKeys: string[][] = [];
  const keysIndex = new Map<string, number>();
  const shared = new SharedValues();
  const detections = content.detections.map((d) => {
    const unreadDetails = unread.get(d);
    const unreadSearch = unread.get(d.plan);
    const head: Record<string, unknown> = {};
    const details: Record<string, unknown> = {};
    for (const key of Object.keys(d)) {
      // an unread part's keys are not read: that would parse it
      if (unreadDetails && !IN_HEAD.has(key)) continue;
      const value = (d as unknown as Record<string, unknown>)[key];
      if (value !== undefined) (IN_HEAD.has(key) ? head : details)[key] = value;
    }
    const plan: Record<string, unknown> = {};
    for (const key of Object.keys(d.plan)) if (key !== 'where') plan[key] = (d.plan as unknown as Record<string, unknown>)[key];
    for (const key of SHARED_PLAN_KEYS) if (plan[key] !== undefined) plan[key] = shared.indexOf(plan[key]);
    if (head.output !== undefined) head.output = shared.indexOf(head.output);
    plan.where = outOfLine(unreadSearch?.text() ?? asciiJson(d.plan.where));
    const keys = unreadDetails?.keys ?? Object.keys(details);
    // most detections have the same keys: each list is kept once
    let keysAt = keysIndex.get(keys.join('\0'));
    if (keysAt === undefined) keysIndex.set(keys.join('\0'), (keysAt = detailKeys.push([...keys]) - 1));
    return { ...head, plan, details: [outOfLine(unreadDetails?.text() ?? asciiJson(details)), keysAt] };
  });
  const head = asciiJson({ ...content, detections, detailKeys, shared: shared.values, sectionLength: end });
  return `${head.length}\n${head}${texts.join('')}`;
}

/** An entry's bytes: in memory, or in a file that is read a part at a time (content-cache.ts). */
export interface EntryBytes {
  readonly length: number;
  /** the bytes [from, to), within length */
  slice(from: number, to: number): Buffer;
}

/** the longest decimal head length the layout allows before its newline */
const LENGTH_DIGITS = 12;

/** The content in `bytes`, each search and details read on first use; undefined when the bytes are not a whole entry of this layout. */
export function decodeEntry<T extends Content>(entry: Buffer | EntryBytes, source: string): T | undefined {
  const bytes: EntryBytes = Buffer.isBuffer(entry) ? { length: entry.length, slice: (from, to) => entry.subarray(from, to) } : entry;
  const lengthLine = bytes.slice(0, Math.min(bytes.length, LENGTH_DIGITS + 1));
  const newline = lengthLine.indexOf(10);
  const lengthText = newline > 0 ? lengthLine.subarray(0, newline) : undefined;
  const headLength = lengthText && isAscii(lengthText) ? Number(lengthText.toString('latin1')) : NaN;
  if (!Number.isSafeInteger(headLength)) return undefined;
  const sectionStart = newline + 1 + headLength;
  if (sectionStart > bytes.length) return undefined;
  const head = bytes.slice(newline + 1, sectionStart);
  // the encoder writes ASCII only: anything else is not an entry it wrote
  if (!isAscii(head)) return undefined;
  const content = JSON.parse(head.toString('latin1')) as Stored<T>;
  if (!Array.isArray(content.detections) || !Array.isArray(content.correlations) || !Array.isArray(content.detailKeys) || !Array.isArray(content.shared)) return undefined;
  if (sectionStart + content.sectionLength !== bytes.length) return undefined;
  const shared = content.shared.map(deepFreeze);
  const isShared = (at: unknown): at is number => Number.isSafeInteger(at) && (at as number) >= 0 && (at as number) < shared.length;
  let start = sectionStart;
  const part = (relativeEnd: unknown): [from: number, to: number] | undefined => {
    const from = start;
    const to = sectionStart + (relativeEnd as number);
    if (!Number.isSafeInteger(to) || to < from || to > bytes.length) return undefined;
    start = to;
    return [from, to];
  };
  const text = ([from, to]: [number, number]) => () => bytes.slice(from, to).toString('latin1');
  const parseSearch = (json: string) => ({ where: parsePart(json, source) });
  const parseDetails = (json: string) => parsePart(json, source) as Record<string, unknown>;
  for (const d of content.detections) {
    const search = part(d.plan.where);
    const details = Array.isArray(d.details) ? part(d.details[0]) : undefined;
    const keys = Array.isArray(d.details) ? content.detailKeys[d.details[1]] : undefined;
    if (!search || !details || !Array.isArray(keys)) return undefined;
    const plan = d.plan as Record<string, unknown>;
    for (const key of SHARED_PLAN_KEYS) {
      if (plan[key] === undefined) continue;
      if (!isShared(plan[key])) return undefined;
      plan[key] = shared[plan[key]];
    }
    if (d.output !== undefined) {
      if (!isShared(d.output)) return undefined;
      (d as { output: unknown }).output = shared[d.output];
    }
    readOnFirstUse(d.plan, SEARCH_KEYS, text(search), parseSearch);
    delete (d as Partial<StoredDetection>).details;
    readOnFirstUse(d, keys, text(details), parseDetails);
  }
  const { detailKeys: _keys, shared: _shared, sectionLength: _length, ...rest } = content;
  return rest as unknown as T;
}

/** `value`, and every object and array in it, frozen: a value shared by many detections must not be changed through one */
function deepFreeze<V>(value: V): V {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** `source`: where the entry came from, for the error */
function parsePart(json: string, source: string): unknown {
  try {
    return JSON.parse(json);
  } catch (e) {
    // the entry was whole (its lengths add up) but its bytes changed since it was written
    throw new Error(`the compiled-content cache entry ${source} is damaged (${(e as Error).message}): delete it, or run with TUNNELWATCH_NO_CACHE=1`);
  }
}

/** each object's unread part: its keys, its JSON text (ASCII, as the head was checked to be), and how to parse that */
const unread = new WeakMap<object, { keys: readonly string[]; text: () => string; parse: (json: string) => Record<string, unknown> }>();

/**
 * Accessors for a list of keys, shared by every object with that list: one defineProperties per
 * object (a closure pair and a defineProperty per object and key cost ~60 ms and ~10 MB on SigmaHQ's entry).
 */
const accessorsByKeys = new WeakMap<readonly string[], PropertyDescriptorMap>();

function accessorsOf(keys: readonly string[]): PropertyDescriptorMap {
  let map = accessorsByKeys.get(keys);
  if (!map) {
    map = {};
    for (const key of keys) {
      map[key] = {
        enumerable: true,
        configurable: true,
        get(this: Record<string, unknown>): unknown {
          settle(this);
          return this[key];
        },
        set(this: Record<string, unknown>, value: unknown) {
          settle(this);
          this[key] = value;
        },
      };
    }
    accessorsByKeys.set(keys, map);
  }
  return map;
}

/** the object's unread part read, its keys then plain properties */
function settle(target: Record<string, unknown>): void {
  const { keys, text, parse } = unread.get(target)!;
  const values = parse(text());
  unread.delete(target);
  for (const key of keys) Object.defineProperty(target, key, { value: values[key], writable: true, enumerable: true, configurable: true });
}

/**
 * `keys` of `target` parsed from `text()` when one of them is first read (or written), all at once;
 * from then on they are plain properties. An object has one unread part; `keys` is the same array
 * for every object with the same keys.
 */
function readOnFirstUse(target: object, keys: readonly string[], text: () => string, parse: (json: string) => Record<string, unknown>): void {
  unread.set(target, { keys, text, parse });
  Object.defineProperties(target, accessorsOf(keys));
}
