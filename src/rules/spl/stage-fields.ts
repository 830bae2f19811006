import type { RowAggregate, RowStage } from '../search-plan.js';
import { mapFields, mapValueFields } from './parser.js';

/** A row command with every mention of column `from` (read or written) renamed `to`. */
export function renameInStage(stage: RowStage, from: string, to: string): RowStage {
  const f = (name: string): string => (name === from ? to : name);
  switch (stage.kind) {
    case 'filter':
      return { kind: 'filter', expr: mapFields(stage.expr, f) };
    case 'eval':
      return { kind: 'eval', field: f(stage.field), value: mapValueFields(stage.value, f) };
    case 'rex':
      return { ...stage, field: f(stage.field), groups: stage.groups.map((g) => ({ ...g, as: f(g.as) })) };
    case 'lookup':
      return { ...stage, inputs: stage.inputs.map((i) => ({ ...i, field: f(i.field) })), outputs: stage.outputs.map((o) => ({ ...o, as: f(o.as) })) };
    case 'ctime':
      return { kind: 'ctime', field: f(stage.field) };
    case 'bin':
      return { ...stage, field: f(stage.field), as: f(stage.as) };
    case 'stats':
      return { ...stage, aggregates: stage.aggregates.map((a) => renameAggregate(a, f)), by: stage.by.map((b) => ({ field: f(b.field), as: f(b.as) })) };
    case 'eventstats':
      return { ...stage, aggregates: stage.aggregates.map((a) => renameAggregate(a, f)), by: stage.by.map(f) };
    case 'dedup':
      return { ...stage, fields: stage.fields.map(f) };
    case 'sort':
      return { ...stage, keys: stage.keys.map((k) => ({ ...k, field: f(k.field) })) };
    case 'head':
      return stage;
    case 'join':
      // the subsearch's own names stay: only the rows' side follows a rename
      return { ...stage, fields: stage.fields.map((j) => ({ ...j, main: f(j.main) })), columns: stage.columns.map((c) => ({ ...c, as: f(c.as) })) };
  }
}

function renameAggregate(a: RowAggregate, f: (name: string) => string): RowAggregate {
  return { ...a, ...(a.field !== undefined && { field: f(a.field) }), ...(a.value !== undefined && { value: mapValueFields(a.value, f) }), as: f(a.as) };
}

/** a column name, or a prefix ending in `*` (`Processes.*`): column names are rule text, not log data */
export function columnPattern(pattern: string): (name: string) => boolean {
  if (!pattern.endsWith('*')) return (name) => name === pattern;
  const prefix = pattern.slice(0, -1);
  return (name) => name.startsWith(prefix);
}

/** a `stats` stage whose output column `from` is now called `to` (what it reads stays) */
export function renameStatsOutput(stage: RowStage, from: string, to: string): RowStage {
  if (stage.kind !== 'stats') return stage;
  const f = (name: string): string => (name === from ? to : name);
  return { ...stage, by: stage.by.map((b) => ({ ...b, as: f(b.as) })), aggregates: stage.aggregates.map((a) => ({ ...a, as: f(a.as) })) };
}
