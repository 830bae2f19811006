import type { AggregateSpec, OutputSettings, SearchPlan } from './search-plan.js';

/**
 * The one home of a correlation's output columns. Validation, the synthetic detection's plan (which
 * renders and tunes findings) and the engine's correlator all read the names from here. This file
 * loads no YAML or schema library, so the engine can import it on a cached scan.
 */

/** a correlation's BY columns: its key parts, each once */
export function keyColumns(key: string[][]): string[] {
  return [...new Set(key.flat())];
}

/** the columns a correlation writes for one of its steps */
export function stepColumns(step: string): { count: string; firstTime: string; lastTime: string; detections: string } {
  return { count: `${step}_count`, firstTime: `${step}_firstTime`, lastTime: `${step}_lastTime`, detections: `${step}_detections` };
}

/**
 * BY the key parts: count/firstTime/lastTime over all steps, then per step its count, time range
 * and the detections that fired, then the distinct values of each carried field.
 */
export function correlationPlanColumns(key: string[][], steps: string[], carried: string[]): Pick<SearchPlan, 'by' | 'aggregates'> & Pick<OutputSettings, 'ctimeFields'> {
  const aggregates: AggregateSpec[] = [
    { fn: 'count', as: 'count' },
    { fn: 'min', field: '_time', as: 'firstTime' },
    { fn: 'max', field: '_time', as: 'lastTime' },
    ...steps.flatMap((s): AggregateSpec[] => {
      const columns = stepColumns(s);
      return [
        { fn: 'count', as: columns.count },
        { fn: 'min', field: '_time', as: columns.firstTime },
        { fn: 'max', field: '_time', as: columns.lastTime },
        { fn: 'values', as: columns.detections },
      ];
    }),
    ...[...new Set(carried)].map((f): AggregateSpec => ({ fn: 'values', field: f, as: f })),
  ];
  return {
    by: keyColumns(key).map((k) => ({ field: k, as: k })),
    aggregates,
    ctimeFields: aggregates.filter((a) => a.field === '_time').map((a) => a.as),
  };
}
