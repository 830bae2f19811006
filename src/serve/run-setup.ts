import type { PipelineSetup } from '../pipeline/setup.js';

/** What a long-running process detects: the run pipeline's setup (content, selection, tuning, where, prefilter), as `scan` prepares it. */
export type RunSetup = Pick<PipelineSetup, 'detections' | 'correlations' | 'tuning' | 'tactics' | 'where' | 'prefilter'>;
