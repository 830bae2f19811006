import type { CimEvent, DatasetName } from '../cim/model.js';
import type { BoundCorrelation } from '../rules/correlation.js';
import type { Detection } from '../rules/detection.js';
import { Correlator, type CorrelationPartial } from './correlator.js';
import { Detector, type PartialFinding } from './detector.js';
import type { Finding } from './finding.js';
import { LoweredFields } from './predicate.js';

export interface AnalyzerOptions {
  maxGroupsPerDetection?: number;
  /** how correlation state is bounded: `cap` (default) for scans of files, `watermark` for a time-ordered stream */
  correlationExpiry?: 'watermark' | 'cap';
}

/** Everything a worker ships back: merges order-free into another Analyzer's state. */
export interface AnalyzerPartials {
  detections: PartialFinding[];
  correlations: CorrelationPartial[];
}

/**
 * The detect stage as the pipeline sees it: detections (grouped findings) and correlations
 * (per-process sequences) fed from one event stream, with one mergeable state.
 */
export class Analyzer {
  readonly detector: Detector;
  readonly correlator: Correlator;
  /** datasets some detection or correlation reads; other datasets need not be normalized */
  readonly datasets: ReadonlySet<DatasetName>;

  constructor(detections: Detection[], correlations: BoundCorrelation[], options: AnalyzerOptions = {}) {
    this.detector = new Detector(detections, { maxGroupsPerDetection: options.maxGroupsPerDetection });
    this.correlator = new Correlator(correlations, { expiry: options.correlationExpiry ?? 'cap' });
    this.datasets = new Set([...this.detector.datasets, ...this.correlator.datasets]);
  }

  observe(event: CimEvent): void {
    const lowered = new LoweredFields(event.fields);
    this.detector.observe(event, lowered);
    this.correlator.observe(event, lowered);
  }

  partials(): AnalyzerPartials {
    return { detections: this.detector.partials(), correlations: this.correlator.partials() };
  }

  merge(partials: AnalyzerPartials): void {
    this.detector.merge(partials.detections);
    this.correlator.merge(partials.correlations);
  }

  /** detection findings then correlation findings, each in their deterministic order */
  findings(): Finding[] {
    return [...this.detector.findings(), ...this.correlator.findings()];
  }
}
