import { readFile } from 'node:fs/promises';
import { duplicateIdErrors, type Detection } from './detection.js';
import type { ContentError } from './search-plan.js';
import { isSigmaRule } from './sigma/sniff.js';
import { listYamlFiles } from './yaml-files.js';
import type { SigmaCorrelationRule } from './sigma/correlation.js';

/** What one rule file gave, whatever its language. */
export interface RuleFileResult {
  detections: Detection[];
  /** problems that stop the run (ESCU content is ours: it must be right) */
  errors: ContentError[];
  /** rules that did not load, each with its reason: reported, the run goes on (third-party content) */
  notLoaded: ContentError[];
  /** log sources a loaded rule does not run on, and why */
  notRun: ContentError[];
  /** Sigma correlation rules, bound to the loaded detections once every file is read (content.ts) */
  sigmaCorrelations?: SigmaCorrelationRule[];
}

/**
 * A rule language: how to recognise its files from their text, and its front end, imported only
 * when a file of the language is met (a cached scan loads neither YAML nor schema libraries).
 */
export interface RuleLanguage {
  name: string;
  recognizes(text: string): boolean;
  parse(file: string, text: string): Promise<RuleFileResult>;
}

/** Every rule language, tried in order; the last recognises anything. A new language is one folder and one line here. */
export const ruleLanguages = [
  {
    name: 'sigma',
    recognizes: isSigmaRule,
    parse: async (file, text) => {
      const { correlations, ...rest } = (await import('./sigma/collection.js')).parseSigmaFile(file, text);
      return { errors: [], ...rest, sigmaCorrelations: correlations };
    },
  },
  {
    name: 'escu',
    recognizes: () => true,
    parse: async (file, text) => {
      // an ESCU detection reads the macros and lookups of the ESCU tree it sits in (see escu-macros.ts)
      const { parseTreeDetection } = await import('./escu.js');
      return { notLoaded: [], notRun: [], ...(await parseTreeDetection(file, text)) };
    },
  },
] as const satisfies readonly RuleLanguage[];

export function languageOf(text: string): RuleLanguage {
  return ruleLanguages.find((l) => l.recognizes(text)) ?? ruleLanguages[ruleLanguages.length - 1];
}

/** Loads every rule file under the given files/directories, each by its language; reports every problem at once. */
export async function loadRules(paths: string[]): Promise<RuleFileResult> {
  const files = paths.flatMap(listYamlFiles);
  const results = await Promise.all(
    files.map(async (file): Promise<RuleFileResult> => {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        return { detections: [], errors: [{ file, line: 1, col: 1, message: `cannot read: ${(error as Error).message}` }], notLoaded: [], notRun: [] };
      }
      return languageOf(text).parse(file, text);
    }),
  );
  const detections = results.flatMap((r) => r.detections);
  return {
    detections: detections.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id)),
    errors: [...results.flatMap((r) => r.errors), ...duplicateIdErrors(detections)],
    notLoaded: results.flatMap((r) => r.notLoaded),
    notRun: results.flatMap((r) => r.notRun),
    sigmaCorrelations: results.flatMap((r) => r.sigmaCorrelations ?? []),
  };
}
