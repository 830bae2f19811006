import { after, before, describe } from 'node:test';
import { openStore } from '../../src/store/registry.js';
import type { FindingStore } from '../../src/store/store.js';
import { storeBackends } from '../helpers/stores.js';
import { findingOutputSuite } from './finding-output.js';

const asJsonTexts = (object: Record<string, unknown>) => Object.fromEntries(Object.entries(object).map(([k, v]) => [k, JSON.stringify(v)]));

// The finding-output conformance suite, run by writing findings to each store and querying them back.
for (const backend of await storeBackends()) {
  describe(`finding output: ${backend.name} store`, { skip: backend.skip }, () => {
    let store: FindingStore;
    before(async () => {
      store = await openStore(backend.location());
    });
    after(async () => {
      await store?.close();
      await backend.cleanup();
    });
    findingOutputSuite({
      name: `${backend.name} store`,
      lossless: true,
      // the adapter reads the findings back by id, in the order they were written
      keepsOrder: true,
      textOf: (value) => JSON.stringify(value),
      async roundTrip(records) {
        await store.commit({ findings: records.map((record) => ({ record, revision: 1, firstTime: null, lastTime: null })) });
        const page = await store.listFindings({ ids: records.map((r) => r.finding_id), limit: 1000 });
        const byId = new Map(page.items.map((i) => [i.record.finding_id, asJsonTexts(i.record)]));
        return records.flatMap((r) => {
          const row = byId.get(r.finding_id);
          return row ? [row] : [];
        });
      },
    });
  });
}
