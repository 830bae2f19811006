/**
 * serve's detection thread (see processor-thread.ts): the journal processor with its own store
 * connection and a reader of the journal the main thread appends to. The main thread parses HTTP
 * and fsyncs the journal on one core, detection runs here on the other.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Journal } from '../ingest/journal.js';
import { isSetupProblem, preparePipeline } from '../pipeline/setup.js';
import { openStore } from '../store/registry.js';
import { JournalProcessor } from './processor.js';
import type { FromDetectionThread, ToDetectionThread, DetectionThreadData } from './processor-thread.js';

const data = workerData as DetectionThreadData;
const port = parentPort!;
const post = (message: FromDetectionThread) => port.postMessage(message);

const setup = await preparePipeline(data.config, { contentRoot: data.contentRoot });
if (isSetupProblem(setup)) throw new Error(`the detection thread could not load the content: ${JSON.stringify(setup)}`);
const journal = Journal.reader(data.journalDir, data.durableEnd);
const store = await openStore(data.store);
const abort = new AbortController();
let processor: JournalProcessor;
/** the status the main thread shows, sent after every commit */
const state = (changed: string[]): Extract<FromDetectionThread, { type: 'committed' }> => ({
  type: 'committed',
  committed: processor.committed,
  changed,
  stats: processor.stats(),
  skips: processor.skipped(),
  error: processor.error?.message,
});
try {
  processor = await JournalProcessor.open({ store, journal, setup, onCommit: (changed) => post(state(changed)) });
} catch (error) {
  await store.close();
  post({ type: 'failed', message: (error as Error).message });
  process.exit(0);
}
let running: Promise<void> | undefined;
port.on('message', (message: ToDetectionThread) => {
  switch (message.type) {
    case 'records':
      journal.advance(message.end, message.records.map((r) => ({ ...r, body: Buffer.from(r.body.buffer, r.body.byteOffset, r.body.byteLength) })));
      break;
    case 'run':
      running = processor.run(abort.signal).finally(() => post(state([])));
      break;
    case 'stop':
      processor.stop();
      break;
    case 'step':
      void processor.step().then(
        (done) => post({ ...state([]), step: done }),
        (error: Error) => post({ ...state([]), step: false, error: error.message }),
      );
      break;
    case 'close':
      abort.abort();
      journal.close();
      void (async () => {
        await running;
        await store.close();
        post({ type: 'closed' });
      })();
      break;
  }
});
post(state([]));
