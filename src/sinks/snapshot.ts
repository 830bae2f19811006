import type { FindingRecord } from '../engine/render.js';
import type { FindingSink, SinkContext } from './sink.js';
import type { FindingUpsert, StreamSink, Upsert } from './stream-sink.js';

/**
 * A text sink (table, CSV, JSON) on a stream: the latest state of every finding is kept, and
 * written whole through the text sink, on close (`onChange`: also whenever a batch changed it).
 */
export function snapshotSink(sink: FindingSink, out: NodeJS.WritableStream, ctx: SinkContext, onChange?: (render: () => void) => void): StreamSink {
  const latest = new Map<string, FindingRecord>();
  const render = () => sink.write([...latest.values()], out, ctx);
  return {
    async open() {},
    async write(upserts) {
      let changed = false;
      for (const u of upserts) {
        if (!isFinding(u)) continue;
        changed = true;
        const { kind: _kind, revision: _revision, status, late: _late, ...record } = u;
        if (status === 'retracted') latest.delete(u.finding_id);
        // a late amendment is printed as it is: the table shows what arrived
        else latest.set(u.finding_id, record as FindingRecord);
      }
      if (changed && onChange) onChange(render);
    },
    async close() {
      if (!onChange) render();
    },
  };
}

function isFinding(u: Upsert): u is FindingUpsert {
  return 'kind' in u && u.kind === 'finding';
}

/** A terminal table redrawn in place at most every `intervalMs` while findings change. */
export function liveTableSink(sink: FindingSink, out: NodeJS.WritableStream & { columns?: number }, intervalMs = 250): StreamSink {
  let last = 0;
  let pending: NodeJS.Timeout | undefined;
  let draw: (() => void) | undefined;
  const redraw = () => {
    pending = undefined;
    last = Date.now();
    out.write('\x1b[H\x1b[2J');
    draw?.();
  };
  const inner = snapshotSink(sink, out, { isTTY: true, columns: out.columns }, (render) => {
    draw = render;
    if (pending) return;
    const wait = Math.max(0, intervalMs - (Date.now() - last));
    pending = setTimeout(redraw, wait);
  });
  return {
    open: () => inner.open(),
    write: (upserts) => inner.write(upserts),
    async close() {
      if (pending) {
        clearTimeout(pending);
        redraw();
      }
    },
  };
}
