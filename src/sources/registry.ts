import { evtxSource } from './evtx.js';
import { readHead } from './inputs.js';
import { jsonlSource } from './jsonl.js';
import { Sniff, type Source, type SourceInput } from './source.js';
import { syslogSource } from './syslog.js';
import { windowsXmlSource } from './windows-xml.js';

/** Every input format, by the name `--format` takes. On equal sniff scores the earlier entry wins. */
export const sources = {
  evtx: evtxSource,
  'windows-xml': windowsXmlSource,
  syslog: syslogSource,
  jsonl: jsonlSource,
} as const satisfies Record<string, Source>;

export type SourceName = keyof typeof sources;

export function isSourceName(name: string): name is SourceName {
  return Object.prototype.hasOwnProperty.call(sources, name);
}

/** How far past a junk start (a banner, a long line, binary bytes) the records are looked for. */
const RECORD_SNIFF_BYTES = 1 << 20;
const RECORD_SNIFF_LINES = 64;

/**
 * The source for `input`: the forced one, else the best content sniff of the decompressed head;
 * when the head's start matches nothing, the best sniff from one of the next line starts (within
 * the first MiB), since a junk first line must not hide the records after it. The source then reads
 * the whole input and reports the junk. Undefined means no format matched (the caller reports
 * `unknown-format`; an empty input is one).
 */
export async function pickSource(input: SourceInput, forced?: SourceName): Promise<Source | undefined> {
  if (forced !== undefined) return sources[forced];
  const head = await readHead(input);
  const found = sourceForHead(head);
  if (found || head.length === 0) return found;
  return sourceAfterJunk(head.length < 4096 ? head : await readHead(input, RECORD_SNIFF_BYTES));
}

function sourceAfterJunk(head: Buffer): Source | undefined {
  let start = head.indexOf(0x0a);
  for (let n = 0; start >= 0 && n < RECORD_SNIFF_LINES; n++, start = head.indexOf(0x0a, start + 1)) {
    const found = sourceForHead(head.subarray(start + 1, start + 1 + 4096));
    if (found) return found;
  }
  return undefined;
}

/**
 * The source whose sniff of `head` scores highest; on equal scores the earlier entry wins, so the
 * first that is certain wins outright and the later ones need not look (a directory of EVTX files
 * is not also read as text three times over).
 */
export function sourceForHead(head: Buffer, forced?: SourceName): Source | undefined {
  if (forced !== undefined) return sources[forced];
  let best: Source | undefined;
  let bestScore: number = Sniff.notMine;
  for (const source of Object.values(sources) as Source[]) {
    const score = source.sniff(head);
    if (score > bestScore) {
      best = source;
      bestScore = score;
      if (score >= Sniff.certain) break;
    }
  }
  return best;
}
