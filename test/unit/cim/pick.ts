import assert from 'node:assert/strict';
import type { CimEvent, DatasetName, FieldValue } from '../../../src/cim/model.js';

/** The fields of the one event of `dataset` among `events` (fails if there is not exactly one). */
export function fieldsOf(events: CimEvent[], dataset: DatasetName): Record<string, FieldValue> {
  const matching = events.filter((event) => event.dataset === dataset);
  assert.equal(matching.length, 1, `expected one ${dataset} event, got ${matching.length}`);
  return matching[0].fields;
}
