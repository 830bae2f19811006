import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hash } from 'node:crypto';
import { prng } from '../evtx/helpers.js';
import { ResendWindow } from '../../../src/ingest/resend-window.js';

/**
 * The window as plainly as it can be said: the last `capacity` digests added (each add that added
 * something takes a place; a place leaves when `capacity` newer ones came), less those deleted.
 */
class ReferenceWindow {
  /** each digest present, with the number of the add that put it there */
  private readonly present = new Map<string, number>();
  private readonly order: Array<{ digest: string; add: number }> = [];
  private adds = 0;
  constructor(readonly capacity: number) {}
  has(d: string): boolean {
    return this.present.has(d);
  }
  add(d: string): void {
    if (this.capacity <= 0 || this.present.has(d)) return;
    const add = this.adds++;
    this.present.set(d, add);
    this.order.push({ digest: d, add });
    if (this.order.length > this.capacity) {
      const oldest = this.order.shift()!;
      if (this.present.get(oldest.digest) === oldest.add) this.present.delete(oldest.digest);
    }
  }
  delete(d: string): void {
    this.present.delete(d);
  }
  get size(): number {
    return this.present.size;
  }
}

const digest = (n: number) => hash('sha256', `event ${n}`, 'base64').slice(0, 22);

test('the table answers as a set with first-in first-out eviction would, over 200,000 random adds, lookups and deletes', () => {
  const next = prng(20);
  for (const capacity of [0, 1, 7, 64, 1000]) {
    const window = new ResendWindow(capacity);
    const reference = new ReferenceWindow(capacity);
    // few distinct digests, so that resends, evictions, deletes and re-adds all happen often; some strings not in digest form
    const pool = Math.max(4, capacity * 3);
    const pick = () => {
      const n = Math.floor(next() * pool);
      return n % 97 === 0 ? `odd-${n}` : n % 89 === 0 ? `${digest(n).slice(0, 21)}!` : digest(n);
    };
    for (let i = 0; i < 40_000; i++) {
      const d = pick();
      const r = next();
      if (r < 0.5) {
        window.add(d);
        reference.add(d);
      } else if (r < 0.6) {
        window.delete(d);
        reference.delete(d);
      }
      assert.equal(window.has(d), reference.has(d), `capacity ${capacity}, step ${i}: has(${d})`);
      assert.equal(window.size, reference.size, `capacity ${capacity}, step ${i}: size`);
    }
    // every digest of the pool, at the end
    for (let n = 0; n < pool; n++) assert.equal(window.has(digest(n)), reference.has(digest(n)), `capacity ${capacity}: digest ${n} at the end`);
  }
});

test('a full window of a million digests keeps exactly the newest million', () => {
  const window = new ResendWindow(1_000_000);
  for (let n = 0; n < 1_200_000; n++) window.add(digest(n));
  assert.equal(window.size, 1_000_000);
  for (const n of [0, 199_999]) assert.equal(window.has(digest(n)), false, `digest ${n} should have left`);
  for (const n of [200_000, 700_000, 1_199_999]) assert.equal(window.has(digest(n)), true, `digest ${n} should be remembered`);
});
