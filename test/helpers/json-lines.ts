import fc from 'fast-check';
import { families } from '../../src/families/registry.js';
import { classifyJson } from '../../src/sources/json-shapes.js';
import type { RawEvent } from '../../src/sources/source.js';

/** What parsing a JSON line gives, as the scan parses it: its event's family, <System> and payload, or null when it makes no event. */
export function parsedLine(line: string): Pick<RawEvent, 'family' | 'system' | 'data'> | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  const record = classifyJson(value, families.jsonShapes);
  return record.kind === 'event' ? { family: record.family, system: record.system, data: record.data } : null;
}

/** One of `lines` with one of `pieces` inserted at, or written over, a random place. */
export function splicedLine(lines: readonly string[], pieces: readonly string[]): fc.Arbitrary<string> {
  return fc.tuple(fc.nat(lines.length - 1), fc.nat(), fc.constantFrom(...pieces), fc.boolean()).map(([which, at, piece, replace]) => {
    const line = lines[which];
    const cut = at % (line.length + 1);
    return line.slice(0, cut) + piece + line.slice(replace ? cut + piece.length : cut);
  });
}
