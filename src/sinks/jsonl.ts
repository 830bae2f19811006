import type { FindingSink } from './sink.js';

export const jsonlSink: FindingSink = {
  description: 'one JSON object per finding per line',
  write(records, out) {
    for (const record of records) out.write(`${JSON.stringify(record)}\n`);
  },
};
