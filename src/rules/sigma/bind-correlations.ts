import type { BoundCorrelation, BoundStep } from '../correlation.js';
import type { Detection } from '../detection.js';
import type { ContentError } from '../search-plan.js';
import type { SigmaCorrelationRule, SigmaCorrelationSpec } from './correlation.js';
import { eventFieldOf, sourceOfDetection } from './logsources.js';
import { sigmaDetectionMetadata } from './metadata.js';

export interface SigmaBindResult {
  correlations: BoundCorrelation[];
  /** correlations that cannot run, each at file:line:col with the reason */
  notLoaded: ContentError[];
  /** the ids of detections only correlations use (`generate: false`): they report no findings of their own */
  correlationOnly: Set<string>;
}

/**
 * Resolves each correlation's `rules` (rule id, else rule `name`) to the loaded Sigma detections
 * (one per log source the rule runs on), and each `group-by` entry (through `aliases`) and the
 * value_count `field` to the event field of every such source. A source lacking a group-by field
 * does not feed the correlation; a rule none of whose sources has it is a load error, like a
 * reference that matches no loaded rule or names another correlation (chains are not supported).
 */
export function bindSigmaCorrelations(rules: SigmaCorrelationRule[], detections: Detection[]): SigmaBindResult {
  const byRef = new Map<string, Detection[]>();
  for (const d of detections) {
    if (d.ruleId === undefined) continue;
    for (const ref of new Set([d.ruleId, d.ruleName].filter((r): r is string => r !== undefined))) {
      byRef.set(ref, [...(byRef.get(ref) ?? []), d]);
    }
  }
  const correlationRefs = new Set(rules.flatMap((r) => [r.id, r.name].filter((x): x is string => x !== undefined)));
  const result: SigmaBindResult = { correlations: [], notLoaded: [], correlationOnly: new Set() };
  const generated = new Set<string>();
  for (const rule of rules) {
    const errors: ContentError[] = [];
    const fields: SigmaCorrelationSpec['fields'] = {};
    const steps: BoundStep[] = rule.rules.map((r) => {
      const found = byRef.get(r.ref) ?? [];
      const problem = (message: string) => errors.push({ file: rule.file, line: r.line, col: r.col, message: `correlation.rules: ${message}` });
      if (found.length === 0) {
        problem(correlationRefs.has(r.ref) ? `'${r.ref}' is a correlation: chained correlations are not supported` : `no loaded Sigma rule has id or name '${r.ref}'`);
        return { name: r.ref, refs: [r], optional: false, carry: [], detections: [] };
      }
      const usable: Detection[] = [];
      const lacking: string[] = [];
      for (const d of found) {
        const source = sourceOfDetection(d);
        const names = [d.ruleId, d.ruleName, r.ref].filter((x): x is string => x !== undefined);
        const resolve = (f: string) => {
          const aliased = rule.aliases[f] ? names.map((n) => rule.aliases[f][n]).find((x) => x !== undefined) : f;
          return source && aliased !== undefined ? eventFieldOf(source, aliased) : undefined;
        };
        const groupBy = rule.groupBy.map(resolve);
        const value = rule.field === undefined ? undefined : resolve(rule.field);
        const missing = [...rule.groupBy.filter((_, i) => groupBy[i] === undefined), ...(rule.field !== undefined && value === undefined ? [rule.field] : [])];
        if (missing.length > 0) {
          lacking.push(`${source?.name ?? d.id} lacks ${missing.join(', ')}`);
          continue;
        }
        usable.push(d);
        fields[d.id] = { groupBy: groupBy as string[], ...(value !== undefined && { value }) };
      }
      if (usable.length === 0) problem(`rule '${r.ref}' cannot be grouped: ${lacking.join('; ')}`);
      return { name: found[0].ruleName ?? found[0].name, refs: [r], optional: false, carry: [], detections: usable };
    });
    if (errors.length > 0) {
      result.notLoaded.push(...errors);
      continue;
    }
    for (const s of steps) for (const d of s.detections) (rule.generate ? generated : result.correlationOnly).add(d.id);
    result.correlations.push(boundOf(rule, steps, fields));
  }
  for (const id of generated) result.correlationOnly.delete(id);
  return result;
}

/** host columns among the group-by entries: the finding's risk object */
const HOST = /^(computer|computername|hostname|host|dest|dvc)$/i;

function boundOf(rule: SigmaCorrelationRule, steps: BoundStep[], fields: SigmaCorrelationSpec['fields']): BoundCorrelation {
  const meta = sigmaDetectionMetadata(rule, 'Sigma correlation', rule.groupBy.find((g) => HOST.test(g)));
  const measure = { event_count: 'event_count', value_count: 'value_count', temporal: 'rule_count', temporal_ordered: 'rule_count' }[rule.type];
  const sigma: SigmaCorrelationSpec = { type: rule.type, condition: rule.condition, groupBy: rule.groupBy, field: rule.field, fields };
  const detection: Detection = {
    ...meta,
    name: rule.title,
    id: rule.id,
    ruleId: rule.id,
    dataSources: [...new Set(steps.flatMap((s) => s.detections.flatMap((d) => d.dataSources)))],
    search: `${rule.type} of ${rule.rules.map((r) => r.ref).join(', ')} by ${rule.groupBy.join(', ') || '(all)'} within ${rule.timespanSeconds}s: ${rule.condition.map(([op, n]) => `${op} ${n}`).join(' and ')}`,
    plan: {
      dataset: steps[0].detections[0].plan.dataset,
      where: { kind: 'true' },
      by: rule.groupBy.map((g) => ({ field: g, as: g })),
      aggregates: [
        { fn: 'count', as: 'count' },
        { fn: 'min', field: '_time', as: 'firstTime' },
        { fn: 'max', field: '_time', as: 'lastTime' },
        { fn: 'max', as: measure },
        { fn: 'values', as: 'rules' },
        ...(rule.field !== undefined ? [{ fn: 'values' as const, field: rule.field, as: rule.field }] : []),
      ],
    },
    output: { missingBy: 'fill-null', fillnullZero: false, ctimeFields: ['firstTime', 'lastTime'], rowStages: [] },
    file: rule.file,
  };
  return {
    ...meta,
    name: rule.title,
    id: rule.id,
    version: 1,
    status: rule.status,
    description: rule.description,
    windowSeconds: rule.timespanSeconds,
    latenessSeconds: rule.timespanSeconds,
    key: [rule.groupBy],
    fieldMap: {},
    steps,
    detection,
    file: rule.file,
    sigma,
  };
}
