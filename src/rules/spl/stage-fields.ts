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
  }
}

function renameAggregate(a: RowAggregate, f: (name: string) => string): RowAggregate {
  return { ...a, ...(a.field !== undefined && { field: f(a.field) }), ...(a.value !== undefined && { value: mapValueFields(a.value, f) }), as: f(a.as) };
}
