import assert from 'node:assert/strict';
import { test } from 'node:test';
import { datasetFields, datasetNames, isDatasetField } from '../../../src/cim/model.js';
import { mappings } from '../../../src/families/registry.js';
import { sysmonEventDataFields } from '../../../src/families/windows/sysmon-schema.js';

/** What each dataset can hold: mapped fields, plus the passed-through Sysmon payload names. */
function producedFields(): Map<string, Set<string>> {
  const produced = new Map<string, Set<string>>(datasetNames.map((name) => [name, new Set<string>()]));
  for (const mapping of mappings) {
    const set = produced.get(mapping.dataset)!;
    for (const field of Object.keys(mapping.fields)) set.add(field);
    if (mapping.passthrough) for (const field of sysmonEventDataFields) set.add(field);
  }
  return produced;
}

test('every field a mapping outputs is in its dataset field list (model.ts)', () => {
  for (const mapping of mappings) {
    for (const field of Object.keys(mapping.fields)) {
      assert.ok(isDatasetField(mapping.dataset, field), `${mapping.dataset}.${field} (${mapping.family} ${String(mapping.events)})`);
    }
    if (mapping.passthrough) {
      for (const field of sysmonEventDataFields) assert.ok(isDatasetField(mapping.dataset, field), `${mapping.dataset}.${field}`);
    }
  }
});

test('no dataset lists a field that no mapping produces', () => {
  const produced = producedFields();
  const unproduced = datasetNames.flatMap((name) =>
    (datasetFields[name] as readonly string[]).filter((field) => !produced.get(name)!.has(field)).map((field) => `${name}.${field}`),
  );
  assert.deepEqual(unproduced, []);
});

test('every dataset is produced by some mapping, and the Sysmon field list has no duplicates', () => {
  for (const name of datasetNames) assert.ok(mappings.some((mapping) => mapping.dataset === name), name);
  assert.equal(new Set(sysmonEventDataFields).size, sysmonEventDataFields.length);
});

test('the fields detections group by are produced for each of their data sources', () => {
  const processesBy = [
    'action', 'dest', 'original_file_name', 'parent_process', 'parent_process_exec', 'parent_process_guid',
    'parent_process_id', 'parent_process_name', 'parent_process_path', 'process', 'process_exec', 'process_guid',
    'process_hash', 'process_id', 'process_integrity_level', 'process_name', 'process_path', 'user', 'user_id',
    'vendor_product', 'process_current_directory',
  ];
  const sysmonProcesses = mappings.find((m) => m.dataset === 'Endpoint.Processes' && m.family === 'sysmon')!;
  assert.deepEqual(processesBy.filter((field) => !(field in sysmonProcesses.fields)), []);
  const imageLoadBy = [
    'Computer', 'ImageLoaded', 'EventID', 'loaded_file', 'loaded_file_path', 'process_exec', 'process_guid',
    'process_hash', 'process_id', 'process_name', 'process_path', 'service_dll_signature_exists',
    'service_dll_signature_verified', 'signature_id', 'user_id', 'vendor_product',
  ];
  const produced = producedFields().get('sysmon')!;
  assert.deepEqual(imageLoadBy.filter((field) => !produced.has(field)), []);
});
