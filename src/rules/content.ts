import { existsSync } from 'node:fs';
import path from 'node:path';
import type { BoundCorrelation } from './correlation.js';
import type { Detection } from './detection.js';
import type { ContentError } from './search-plan.js';

export interface Content {
  detections: Detection[];
  correlations: BoundCorrelation[];
  errors: ContentError[];
  /** third-party rules (Sigma) that did not load, each with its reason; the run goes on without them */
  notLoaded: ContentError[];
  /** log sources a loaded rule does not run on, and why */
  notRun: ContentError[];
}

/**
 * Loads detections from `rules` (any rule language) and correlations from `correlationDirs`, binding each
 * correlation's steps to the loaded detections. Every problem is collected, none thrown.
 */
export async function loadContent(rules: string[], correlationDirs: string[]): Promise<Content> {
  // The YAML and schema libraries load only here, so a scan served from the compiled-content cache never pays for them.
  const [{ loadRules }, { bindCorrelations, loadCorrelations }, { bindSigmaCorrelations }] = await Promise.all([
    import('./rule-languages.js'),
    import('./correlation.js'),
    import('./sigma/bind-correlations.js'),
  ]);
  const loaded = await loadRules(rules);
  const existing = correlationDirs.filter((dir) => existsSync(dir));
  const correlations = existing.length > 0 ? await loadCorrelations(existing) : { correlations: [], errors: [] };
  const bound = bindCorrelations(correlations.correlations, loaded.detections);
  const sigma = bindSigmaCorrelations(loaded.sigmaCorrelations ?? [], loaded.detections);
  return {
    // a rule only a Sigma correlation uses (`generate: false`) reports through the correlation alone
    detections: loaded.detections.filter((d) => !sigma.correlationOnly.has(d.id)),
    correlations: [...bound.correlations, ...sigma.correlations],
    errors: [...loaded.errors, ...correlations.errors, ...bound.errors],
    notLoaded: [...loaded.notLoaded, ...sigma.notLoaded],
    notRun: loaded.notRun,
  };
}

/** the correlations folder that sits beside a detections folder (content/detections → content/correlations) */
export function correlationsBeside(detectionsDir: string): string {
  return path.join(path.dirname(path.resolve(detectionsDir)), 'correlations');
}
