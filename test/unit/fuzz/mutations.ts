/**
 * Byte and text mutations for fuzz tests (fast-check arbitraries). Every run is reproducible from
 * its seed: the seeds are fixed, and TW_FUZZ_RUNS scales the number of runs (CI keeps the default).
 */
import fc from 'fast-check';

export const FUZZ_RUNS = Number(process.env.TW_FUZZ_RUNS ?? 40);
export const FUZZ_SEED = Number(process.env.TW_FUZZ_SEED ?? 0x19fa57);

/** `at` and `len` are fractions of the input, so a mutation fits any input it is applied to */
export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; byte: number }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'delete'; at: number; len: number }
  | { kind: 'duplicate'; at: number; len: number }
  | { kind: 'truncate'; at: number };

const at = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
/** bytes that matter to the formats: structure, controls, high bytes, anything */
const interesting = fc.oneof(
  fc.constantFrom(0x00, 0x0a, 0x0d, 0x09, 0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x3c, 0x3e, 0x26, 0x2a, 0x3a, 0x23, 0xff, 0xfe, 0x1f, 0x8b, 0x21, 0x0c, 0x0f),
  fc.integer({ min: 0, max: 255 }),
);

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at, byte: interesting }),
  fc.record({ kind: fc.constant('insert' as const), at, bytes: fc.array(interesting, { minLength: 1, maxLength: 64 }) }),
  fc.record({ kind: fc.constant('delete' as const), at, len: fc.double({ min: 0, max: 0.2, noNaN: true }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at, len: fc.double({ min: 0, max: 0.2, noNaN: true }) }),
  fc.record({ kind: fc.constant('truncate' as const), at }),
);

export const mutations = fc.array(mutation, { minLength: 1, maxLength: 6 });

/**
 * Apply mutations to the bytes from `from` on (earlier bytes stay as they are). Returns the result
 * and the lowest position any mutation touched.
 */
export function applyMutations(input: Buffer, ms: readonly Mutation[], from = 0): { bytes: Buffer; first: number } {
  let b = Buffer.from(input);
  let first = b.length;
  for (const m of ms) {
    const span = b.length - from;
    if (span <= 0) break;
    const p = from + Math.floor(m.at * span);
    first = Math.min(first, p);
    switch (m.kind) {
      case 'flip': b[p] ^= 1 << m.bit; break;
      case 'set': b[p] = m.byte; break;
      case 'insert': b = Buffer.concat([b.subarray(0, p), Buffer.from(m.bytes), b.subarray(p)]); break;
      case 'delete': b = Buffer.concat([b.subarray(0, p), b.subarray(p + Math.floor(m.len * span))]); break;
      case 'duplicate': {
        const piece = b.subarray(p, p + Math.floor(m.len * span));
        b = Buffer.concat([b.subarray(0, p), piece, piece, b.subarray(p + piece.length)]);
        break;
      }
      case 'truncate': b = b.subarray(0, p); break;
    }
  }
  return { bytes: b, first };
}
