import { evtxSource } from './evtx.js';
import { readHead } from './inputs.js';
import { jsonlSource } from './jsonl.js';
import type { Source, SourceInput } from './source.js';
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

/**
 * The source for `input`: the forced one, else the best content sniff of the decompressed head.
 * Undefined means no format matched (the caller reports `unknown-format`; an empty input is one).
 */
export async function pickSource(input: SourceInput, forced?: SourceName): Promise<Source | undefined> {
  return forced !== undefined ? sources[forced] : sourceForHead(await readHead(input));
}

/** The source whose sniff of `head` scores highest; on equal scores the earlier entry wins. */
export function sourceForHead(head: Buffer, forced?: SourceName): Source | undefined {
  if (forced !== undefined) return sources[forced];
  let best: Source | undefined;
  let bestScore = 0;
  for (const source of Object.values(sources) as Source[]) {
    const score = source.sniff(head);
    if (score > bestScore) {
      best = source;
      bestScore = score;
    }
  }
  return best;
}
