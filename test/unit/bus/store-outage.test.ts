import assert from 'node:assert/strict';
import { test } from 'node:test';
import { examplesDir } from '../../helpers/paths.js';
import { ScaleOut, scaleOutUnavailable, scanJson, sleep } from '../../helpers/scale-out.js';
import { postgresBaseUrl } from '../../helpers/stores.js';

const skip = await scaleOutUnavailable();

async function sql(statement: string): Promise<void> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: postgresBaseUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

test('the store refusing every write for a few seconds loses nothing and spends no delivery: the worker retries its transaction, then commits and acks', { skip, timeout: 120_000 }, async () => {
  const s = await ScaleOut.start({ ackWaitMs: 5000, maxDeliver: 2 });
  try {
    const worker = s.startWorker(['--metrics', '127.0.0.1:0']);
    await s.consuming(worker);
    await sql(`ALTER TABLE ${s.schema}.bus_messages RENAME TO bus_messages_away`);
    await s.publish([examplesDir]);
    await sleep(2500);
    await sql(`ALTER TABLE ${s.schema}.bus_messages_away RENAME TO bus_messages`);
    await s.drained();
    const metrics = await (await fetch(await s.metricsUrl(worker))).text();
    assert.match(metrics, /^tunnelwatch_bus_store_errors_total [1-9]\d*$/m, 'the store did refuse');
    assert.match(metrics, /^tunnelwatch_bus_dead_letters_total 0$/m);
    assert.deepEqual(await s.bus.deadLetters(), []);
    assert.deepEqual(s.results(), scanJson([examplesDir]));
  } finally {
    await s.close();
  }
});
