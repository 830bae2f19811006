import { COMMON_TRIGRAMS } from './common-trigrams.js';

/** the share assumed for a trigram the table does not list: below its rarest band */
const UNLISTED_SHARE = 2 ** -(COMMON_TRIGRAMS.length + 1);
const FIRST = 0x20;
const SPAN = 0x7f - FIRST;
const UNLISTED = 255;

/**
 * Band per printable-ASCII trigram, indexed by its three codes: built on first use (about
 * 6,000 writes into 857 KB) because a Map of the same strings cost several milliseconds of
 * every start-up.
 */
let bands: Uint8Array | undefined;

function trigramIndex(text: string, at: number): number {
  const a = text.charCodeAt(at) - FIRST;
  const b = text.charCodeAt(at + 1) - FIRST;
  const c = text.charCodeAt(at + 2) - FIRST;
  return a >= 0 && a < SPAN && b >= 0 && b < SPAN && c >= 0 && c < SPAN ? (a * SPAN + b) * SPAN + c : -1;
}

function bandTable(): Uint8Array {
  const table = new Uint8Array(SPAN * SPAN * SPAN).fill(UNLISTED);
  COMMON_TRIGRAMS.forEach((listed, band) => {
    for (let at = 0; at + 3 <= listed.length; at += 3) table[trigramIndex(listed, at)] = band;
  });
  return table;
}

/**
 * About what share of real log records contain `needle` (lowercase): that of its rarest
 * trigram, since a record holding the needle holds each of its trigrams. Used only to choose which
 * conjunct of an AND the quick prefilter searches; any choice is sound, a rare one is fast.
 */
export function recordShare(needle: string): number {
  bands ??= bandTable();
  let share = 1;
  for (let at = 0; at + 3 <= needle.length; at++) {
    const index = trigramIndex(needle, at);
    const band = index < 0 ? UNLISTED : bands[index];
    share = Math.min(share, band === UNLISTED ? UNLISTED_SHARE : 2 ** -(band + 0.5));
  }
  return share;
}
