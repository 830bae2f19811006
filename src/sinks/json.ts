import type { FindingSink } from './sink.js';

export const jsonSink: FindingSink = {
  description: 'one JSON array of all findings',
  write(records, out) {
    out.write(`${JSON.stringify(records, null, 2)}\n`);
  },
};
