import type { StreamSink, Upsert } from './stream-sink.js';

/** One JSON object per upsert per line (findings, incidents, risk events alike, told apart by `kind`). */
export function upsertJsonlSink(out: NodeJS.WritableStream, accepts: (u: Upsert) => boolean = () => true): StreamSink {
  return {
    async open() {},
    async write(upserts) {
      const text = upserts.filter(accepts).map((u) => `${JSON.stringify(u)}\n`).join('');
      if (text && !out.write(text)) await new Promise<void>((resolve) => out.once('drain', resolve));
    },
    async close() {},
  };
}
