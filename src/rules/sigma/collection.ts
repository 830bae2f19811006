import { parseLocated } from '../yaml-locate.js';
import { isRecord, parseSigmaCorrelation, type SigmaCorrelationRule } from './correlation.js';
import { parseSigmaRule, type SigmaLoadResult } from './rule.js';

/** A Sigma file: its detection rules and its correlation rules (a file may hold several, `---` apart). */
export interface SigmaFileResult extends SigmaLoadResult {
  correlations: SigmaCorrelationRule[];
}

/** A line that separates YAML documents (`---`, optionally followed by a comment). */
const SEPARATOR = /^---[ \t]*(#.*)?$/;

/**
 * Loads every document of a Sigma file. Each document is parsed alone, preceded by as many empty
 * lines as came before it, so every position (line:col) it reports is the position in the file.
 */
export function parseSigmaFile(file: string, text: string): SigmaFileResult {
  const documents = splitDocuments(text);
  const result: SigmaFileResult = { detections: [], notLoaded: [], notRun: [], correlations: [] };
  for (const { text: doc, line } of documents) {
    const padded = '\n'.repeat(line - 1) + doc;
    if (documents.length === 1 && !/^correlation:/m.test(doc) && !/^action:/m.test(doc)) {
      merge(result, parseSigmaRule(file, padded));
      continue;
    }
    const { data, locate, errors } = parseLocated(file, padded);
    if (errors.length > 0) {
      result.notLoaded.push(...errors);
    } else if (isRecord(data) && 'correlation' in data) {
      const parsed = parseSigmaCorrelation(file, data, locate);
      result.notLoaded.push(...parsed.errors);
      if (parsed.rule) result.correlations.push(parsed.rule);
    } else if (isRecord(data) && 'action' in data) {
      result.notLoaded.push({ file, ...locate.at(['action']), message: 'action: Sigma 1 rule collections (action: global/reset/repeat) are not supported' });
    } else {
      merge(result, parseSigmaRule(file, padded));
    }
  }
  return result;
}

function merge(into: SigmaFileResult, from: SigmaLoadResult): void {
  into.detections.push(...from.detections);
  into.notLoaded.push(...from.notLoaded);
  into.notRun.push(...from.notRun);
}

/** The file's documents with the 1-based line each starts on; empty ones (a leading `---`) left out. */
export function splitDocuments(text: string): Array<{ text: string; line: number }> {
  const lines = text.split('\n');
  const out: Array<{ text: string; line: number }> = [];
  let start = 0;
  const flush = (end: number) => {
    const body = lines.slice(start, end);
    if (body.some((l) => l.trim() !== '' && !l.trimStart().startsWith('#'))) out.push({ text: body.join('\n'), line: start + 1 });
  };
  lines.forEach((l, i) => {
    if (!SEPARATOR.test(l.replace(/\r$/, ''))) return;
    flush(i);
    start = i + 1;
  });
  flush(lines.length);
  if (out.length === 0) out.push({ text, line: 1 });
  return out;
}
