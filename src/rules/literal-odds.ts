import { COMMON_TRIGRAMS } from './common-trigrams.js';

/** the share assumed for a trigram the table does not list: below its rarest band */
const UNLISTED_SHARE = 2 ** -(COMMON_TRIGRAMS.length + 1);

let bandOf: Map<string, number> | undefined;

/**
 * About what share of real log records contain `needle` (lowercase): that of its commonest-rare
 * trigram, since a record holding the needle holds each of its trigrams. Used only to choose which
 * conjunct of an AND the quick prefilter searches; any choice is sound, a rare one is fast.
 */
export function recordShare(needle: string): number {
  bandOf ??= new Map(COMMON_TRIGRAMS.flatMap((band, b) => Array.from({ length: band.length / 3 }, (_, i) => [band.slice(3 * i, 3 * i + 3), b] as const)));
  let share = 1;
  for (let i = 0; i + 3 <= needle.length; i++) {
    const band = bandOf.get(needle.slice(i, i + 3));
    share = Math.min(share, band === undefined ? UNLISTED_SHARE : 2 ** -(band + 0.5));
  }
  return share;
}
