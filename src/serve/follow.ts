import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Journal, JournalRecord } from '../ingest/journal.js';
import { writeFileAtomically } from '../pipeline/atomic-file.js';
import { FileFollower, type FollowedChunk, type FollowPosition } from '../sources/follow.js';

/**
 * `serve --follow PATH`: files followed as `watch` follows them (sources/follow.ts: growth,
 * rotation, copytruncate, compressed rotations), their new lines appended to the ingest journal
 * like a HEC request, so the one processor turns them into findings with the same windows,
 * durability and exactly-once commits. Each journal record carries the file position it reaches:
 * after a crash the positions are recovered from the journal itself (what was journaled is not
 * read again, what was not is), and from a state file for records the journal has released.
 */

export interface FollowIntoJournalOptions {
  paths: string[];
  journal: Journal;
  dataDir: string;
  maxRecordBytes: number;
  poll?: boolean;
  /** true while serve refuses input (processor too far behind): the follower waits */
  busy(): boolean;
  onError(file: string, error: Error): void;
}

const STATE_FILE = 'follow.json';
/** a compressed rotation is read whole: it is journaled in records of about this size, each with its position */
const PART_BYTES = 4 * 1024 * 1024;

export class JournalFollower {
  private constructor(
    private readonly follower: FileFollower,
    private readonly positions: Map<string, FollowPosition>,
  ) {}

  static async start(options: FollowIntoJournalOptions): Promise<JournalFollower> {
    const positions = recoverPositions(options.journal, options.dataDir);
    const stateFile = path.join(options.dataDir, STATE_FILE);
    let follower: FileFollower | undefined;
    follower = new FileFollower(options.paths, {
      positions: [...positions.values()],
      maxRecordBytes: options.maxRecordBytes,
      poll: options.poll,
      onChunk: async (chunk) => {
        while (options.busy()) await new Promise((resolve) => setTimeout(resolve, 200));
        await journalChunk(options.journal, chunk, positions.get(chunk.position.fingerprint)?.offset ?? 0);
        positions.set(chunk.position.fingerprint, chunk.position);
      },
      onIdle: async () => writeFileAtomically(stateFile, JSON.stringify((follower as FileFollower).currentPositions())),
      onError: options.onError,
    });
    await follower.start();
    return new JournalFollower(follower, positions);
  }

  /** waits until every file seen so far is journaled (tests) */
  settled(): Promise<void> {
    return this.follower.settled();
  }

  async close(): Promise<void> {
    await this.follower.close();
  }

  get files(): number {
    return this.positions.size;
  }
}

/** A chunk as journal records: one for a plain file's new lines; a compressed rotation in parts, each with the position it reaches. */
async function journalChunk(journal: Journal, chunk: FollowedChunk, resumedAt: number): Promise<void> {
  const header = { origin: 'file', source: chunk.input.name };
  if (!chunk.position.done) {
    const parts: Buffer[] = [];
    for await (const bytes of chunk.input.open()) parts.push(Buffer.from(bytes));
    await journal.append({ ...header, follow: chunk.position }, Buffer.concat(parts));
    return;
  }
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let consumed = resumedAt;
  const flush = async (last: boolean) => {
    const body = Buffer.concat(pending);
    const cut = last ? body.length : body.lastIndexOf(0x0a) + 1;
    if (cut === 0 && !last) return;
    consumed += cut;
    const position: FollowPosition = { ...chunk.position, offset: consumed, done: last };
    await journal.append({ ...header, follow: position }, body.subarray(0, cut));
    pending = cut < body.length ? [body.subarray(cut)] : [];
    pendingBytes = body.length - cut;
  };
  for await (const bytes of chunk.input.open()) {
    pending.push(Buffer.from(bytes));
    pendingBytes += bytes.length;
    if (pendingBytes >= PART_BYTES) await flush(false);
  }
  await flush(true);
}

/** positions from the state file, then from the journal's records (newer: written before the state file) */
function recoverPositions(journal: Journal, dataDir: string): Map<string, FollowPosition> {
  const positions = new Map<string, FollowPosition>();
  const file = path.join(dataDir, STATE_FILE);
  if (existsSync(file)) for (const p of JSON.parse(readFileSync(file, 'utf8')) as FollowPosition[]) positions.set(p.fingerprint, p);
  for (let at = journal.start; at < journal.end; ) {
    const records: JournalRecord[] = journal.read(at, 16 * 1024 * 1024);
    if (records.length === 0) break;
    for (const r of records) {
      const p = r.header.follow;
      if (!p) continue;
      const known = positions.get(p.fingerprint);
      if (!known || known.done !== true) positions.set(p.fingerprint, p);
    }
    at = records[records.length - 1].next;
  }
  return positions;
}

