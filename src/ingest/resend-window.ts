import { hash } from 'node:crypto';

/** A digest's 132 bits (22 base64 characters of 6 bits), in five 32-bit words of 30, 30, 30, 30 and 12 bits. */
const WORDS = 5;
const DIGEST_CHARS = 22;
const CHARS_PER_WORD = 5;
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const SIXBITS = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE64.length; i++) SIXBITS[BASE64.charCodeAt(i)] = i;
const EMPTY = -1;

/**
 * The digests of the most recent units (HEC event envelopes, raw bodies) taken into the journal,
 * so that a client resending a batch (after a timeout, a 5xx, or a prefix commit) adds nothing
 * twice. Bounded: it holds the digests of the last `capacity` adds (the oldest leave first), less
 * any deleted since; the window is rebuilt from the journal on start.
 *
 * An open-addressing table of the digests' bits in typed arrays, not a Set of strings: the HTTP
 * thread looks up and adds one digest per event, and a million strings in a Set cost a cache miss
 * or three per lookup (~1.2 µs an event, a tenth of that thread at 40,000 events/s) and some 65 MB
 * of heap that every full collection marked. Here one probe, and ~52 MB off the heap. A digest is
 * 22 base64 characters (hec-events.ts's `digestOf`); any other string is remembered by its own
 * SHA-256 in that form, so the window answers for every string exactly as a set would.
 */
export class ResendWindow {
  /** WORDS per slot: the digest's bits */
  private readonly keys: Uint32Array;
  /** per slot: its entry's place in `order`, EMPTY when the slot is free */
  private readonly place: Int32Array;
  /** the slots in the order their digests came (a ring of `capacity`), EMPTY where one was deleted */
  private readonly order: Int32Array;
  private readonly mask: number;
  /** how many digests were added in all, and how many of those left the ring */
  private added = 0;
  private left = 0;
  private count = 0;
  private readonly key = new Uint32Array(WORDS);

  constructor(readonly capacity: number) {
    const slots = capacity > 0 ? 2 ** Math.ceil(Math.log2(capacity * 2)) : 1;
    // written through now, at start-up: left to the first lookups, each of its pages would fault in mid-request
    this.keys = new Uint32Array(slots * WORDS).fill(1);
    this.place = new Int32Array(slots).fill(EMPTY);
    this.order = new Int32Array(Math.max(capacity, 0)).fill(EMPTY);
    this.mask = slots - 1;
  }

  has(digest: string): boolean {
    this.keyOf(digest);
    return this.find() >= 0;
  }

  add(digest: string): void {
    if (this.capacity <= 0) return;
    this.keyOf(digest);
    if (this.find() >= 0) return;
    if (this.added - this.left === this.capacity) this.evictOldest();
    let slot = this.home();
    while (this.place[slot] !== EMPTY) slot = (slot + 1) & this.mask;
    this.keys.set(this.key, slot * WORDS);
    const at = this.added++ % this.capacity;
    this.order[at] = slot;
    this.place[slot] = at;
    this.count++;
  }

  /** forgets a digest whose journal write failed: the client will resend it */
  delete(digest: string): void {
    this.keyOf(digest);
    const slot = this.find();
    if (slot < 0) return;
    this.order[this.place[slot]] = EMPTY;
    this.free(slot);
  }

  get size(): number {
    return this.count;
  }

  private evictOldest(): void {
    const slot = this.order[this.left++ % this.capacity];
    if (slot !== EMPTY) this.free(slot);
  }

  /** the slot holding `key`, or -1 */
  private find(): number {
    const { keys, key, place, mask } = this;
    for (let slot = this.home(); place[slot] !== EMPTY; slot = (slot + 1) & mask) {
      const at = slot * WORDS;
      if (keys[at] === key[0] && keys[at + 1] === key[1] && keys[at + 2] === key[2] && keys[at + 3] === key[3] && keys[at + 4] === key[4]) return slot;
    }
    return -1;
  }

  /** where `key` would be without collisions (the digests' bits are uniform already) */
  private home(): number {
    return (this.key[0] ^ this.key[1]) & this.mask;
  }

  /** where the key at `slot` would be without collisions */
  private homeOf(slot: number): number {
    return (this.keys[slot * WORDS] ^ this.keys[slot * WORDS + 1]) & this.mask;
  }

  /** empties `slot`, moving later entries of its probe run back so that every lookup still finds them (no tombstones) */
  private free(slot: number): void {
    const { keys, place, order, mask } = this;
    this.count--;
    let hole = slot;
    place[hole] = EMPTY;
    for (let next = (hole + 1) & mask; place[next] !== EMPTY; next = (next + 1) & mask) {
      const home = this.homeOf(next);
      // the entry at `next` may move to `hole` unless its home lies cyclically in (hole, next]
      const stays = hole <= next ? home > hole && home <= next : home > hole || home <= next;
      if (stays) continue;
      keys.copyWithin(hole * WORDS, next * WORDS, next * WORDS + WORDS);
      place[hole] = place[next];
      order[place[hole]] = hole;
      place[next] = EMPTY;
      hole = next;
    }
  }

  /** `digest`'s bits into `key` (a string not in digest form: its SHA-256's) */
  private keyOf(digest: string): void {
    if (digest.length !== DIGEST_CHARS || !this.parse(digest)) this.parse(hash('sha256', digest, 'base64'));
  }

  /** the first DIGEST_CHARS characters of `text` as bits into `key`; false when one is not base64 */
  private parse(text: string): boolean {
    const key = this.key;
    key.fill(0);
    for (let i = 0; i < DIGEST_CHARS; i++) {
      const c = text.charCodeAt(i);
      const v = c < 128 ? SIXBITS[c] : -1;
      if (v < 0) return false;
      const w = (i / CHARS_PER_WORD) | 0;
      key[w] = key[w] * 64 + v;
    }
    return true;
  }
}
