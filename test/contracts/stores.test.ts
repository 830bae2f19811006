import { describeEachStore } from '../helpers/stores.js';
import { findingOutputSuite } from './finding-output.js';

const asJsonTexts = (object: Record<string, unknown>) => Object.fromEntries(Object.entries(object).map(([k, v]) => [k, JSON.stringify(v)]));

// The finding-output conformance suite, run by writing findings to each store and querying them back.
await describeEachStore('finding output', (opened, backend) => {
  findingOutputSuite({
    name: `${backend.name} store`,
    lossless: true,
    // the adapter reads the findings back by id, in the order they were written
    keepsOrder: true,
    textOf: (value) => JSON.stringify(value),
    async roundTrip(records) {
      await opened.store.commit({ findings: records.map((record) => ({ record, revision: 1, firstTime: null, lastTime: null })) });
      const page = await opened.store.listFindings({ ids: records.map((r) => r.finding_id), limit: 1000 });
      const byId = new Map(page.items.map((i) => [i.record.finding_id, asJsonTexts(i.record)]));
      return records.flatMap((r) => {
        const row = byId.get(r.finding_id);
        return row ? [row] : [];
      });
    },
  });
});
