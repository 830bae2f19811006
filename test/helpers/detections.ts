import type { Detection } from '../../src/rules/detection.js';
import type { OutputSettings, SearchPlan } from '../../src/rules/search-plan.js';
import type { CimEvent, DatasetName, FieldValue } from '../../src/cim/model.js';

/**
 * A detection with a hand-written plan and output settings (given together), so engine tests do
 * not depend on the SPL compiler.
 */
export function detectionWith(settings: Partial<SearchPlan & OutputSettings>, overrides: Partial<Detection> = {}): Detection {
  const { dataset, where, aggregates, by, ...output } = settings;
  return {
    name: 'Test Detection',
    id: '00000000-0000-4000-8000-000000000001',
    version: 1,
    type: 'Anomaly',
    status: 'production',
    description: 'test',
    dataSources: [],
    search: '',
    plan: {
      dataset: 'Endpoint.Processes',
      where: { kind: 'true' },
      aggregates: [
        { fn: 'count', as: 'count' },
        { fn: 'min', field: '_time', as: 'firstTime' },
        { fn: 'max', field: '_time', as: 'lastTime' },
      ],
      by: [],
      ...(dataset && { dataset }),
      ...(where && { where }),
      ...(aggregates && { aggregates }),
      ...(by && { by }),
    },
    output: {
      missingBy: 'fill-null',
      fillnullZero: false,
      ctimeFields: ['firstTime', 'lastTime'],
      rowStages: [],
      ...output,
    },
    drilldowns: [],
    analyticStories: ['Reverse Network Proxy'],
    mitreAttackIds: ['T1572'],
    references: [],
    tests: [],
    file: 'test.yml',
    ...overrides,
  };
}

export function cimEvent(fields: Record<string, FieldValue>, time = 0, dataset: DatasetName = 'Endpoint.Processes'): CimEvent {
  return { dataset, time, fields, location: { file: 'memory', line: 1 } };
}

export function by(...fields: string[]) {
  return fields.map((field) => ({ field, as: field }));
}
