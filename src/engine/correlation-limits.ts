import { CapTally } from '../diagnostics/cap-tally.js';
import { DEFAULT_EVIDENCE_CAP } from './evidence.js';
import { HeapGuard } from './heap-guard.js';

/** What bounds a correlator's state, as options give it (every field optional). */
export interface CorrelationLimitOptions {
  /** live keys (groups) per correlation; beyond it the least recently touched key is evicted and counted */
  maxKeys?: number;
  /** confirmed keys (findings of expired groups) kept per correlation */
  maxFindings?: number;
  /** distinct values kept per carried field and key, listed per value_count finding */
  maxValuesPerField?: number;
  /**
   * `watermark` (default, for a live stream whose events arrive roughly in time order): keys that
   * fell too far behind the newest event are retired. `cap`: only the caps bound state, as a scan
   * needs: its files arrive in any order and from any era (threads share them), so the newest
   * event of one file says nothing about the events of another still to come.
   */
  expiry?: 'watermark' | 'cap';
  /** contributing events kept as evidence per step of a finding (the first ones by time) */
  evidenceCap?: number;
  /**
   * Streams: remember which keys changed for `changes()`, and free a confirmed key once it
   * expires (reported `closed`) instead of keeping it until the run ends.
   */
  trackChanges?: boolean;
  /** where keys, findings and values the caps or a nearly full heap refused are counted */
  caps?: CapTally;
  heap?: HeapGuard;
}

/** The limits with their defaults filled in: one home for both correlators. */
export interface CorrelationLimits {
  maxKeys: number;
  maxFindings: number;
  maxValues: number;
  expires: boolean;
  trackChanges: boolean;
  evidenceCap: number;
  caps: CapTally;
  heap: HeapGuard;
}

export function correlationLimits(options: CorrelationLimitOptions): CorrelationLimits {
  return {
    maxKeys: options.maxKeys ?? 100_000,
    maxFindings: options.maxFindings ?? 100_000,
    maxValues: options.maxValuesPerField ?? 32,
    expires: (options.expiry ?? 'watermark') === 'watermark',
    trackChanges: options.trackChanges === true,
    evidenceCap: options.evidenceCap ?? DEFAULT_EVIDENCE_CAP,
    caps: options.caps ?? new CapTally(),
    heap: options.heap ?? new HeapGuard(),
  };
}
