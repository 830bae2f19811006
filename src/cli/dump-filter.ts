import { InvalidArgumentError } from 'commander';
import type { FieldValue } from '../cim/model.js';
import { compilePredicate, type Predicate } from '../engine/predicate.js';
import { eventTime, families } from '../families/registry.js';
import { compileFilter } from '../rules/spl/compile.js';
import type { RawEvent } from '../sources/source.js';

/** `dump`'s event filters: the pivot from a finding's evidence to exactly its events. */
export interface DumpFilterFlags {
  record?: number[];
  line?: number[];
  eventId?: string[];
  from?: number;
  to?: number;
  where?: string;
}

export type RawEventFilter = (event: RawEvent) => boolean;

/** The filter the flags ask for, undefined when none is set, or the usage problem of a bad `--where`. */
export function dumpFilter(flags: DumpFilterFlags): { keeps?: RawEventFilter; problem?: string } {
  const tests: RawEventFilter[] = [];
  if (flags.record?.length) {
    const records = new Set(flags.record.map(String));
    tests.push((e) => e.system.EventRecordID !== undefined && records.has(e.system.EventRecordID));
  }
  if (flags.line?.length) {
    const lines = new Set(flags.line);
    tests.push((e) => e.location.line !== undefined && lines.has(e.location.line));
  }
  if (flags.eventId?.length) {
    const codes = new Set(flags.eventId.map((c) => c.toLowerCase()));
    tests.push((e) => codes.has((families.normalizer.eventCode(e) ?? '').toLowerCase()));
  }
  if (flags.from !== undefined && flags.to !== undefined && flags.from > flags.to) return { problem: '--from is later than --to: no event can match' };
  if (flags.from !== undefined || flags.to !== undefined) {
    const { from = -Infinity, to = Infinity } = flags;
    tests.push((e) => {
      const t = eventTime(e);
      return Number.isFinite(t) && t >= from && t <= to;
    });
  }
  if (flags.where !== undefined) {
    const compiled = compileFilter(flags.where);
    if (!compiled.expr || compiled.errors.length > 0) {
      return { problem: `--where: ${compiled.errors.map((e) => `col ${e.col}: ${e.message}`).join('; ')}` };
    }
    const matches: Predicate = compilePredicate(compiled.expr);
    tests.push((e) => matches(rawFields(e)));
  }
  if (tests.length === 0) return {};
  return { keeps: (e) => tests.every((t) => t(e)) };
}

/** the record's fields by their raw names: the <System> envelope, then the payload (which wins a clash) */
function rawFields(e: RawEvent): Record<string, FieldValue> {
  return { ...e.system, ...e.data };
}

/** `1,2,3` as numbers; commander calls it once per occurrence, so repeats add up */
export function numberList(text: string, previous: number[] = []): number[] {
  const values = text.split(',').map((v) => v.trim()).filter(Boolean);
  for (const v of values) if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`'${v}' is not a whole number`);
  return [...previous, ...values.map(Number)];
}

export function textList(text: string, previous: string[] = []): string[] {
  return [...previous, ...text.split(',').map((v) => v.trim()).filter(Boolean)];
}
