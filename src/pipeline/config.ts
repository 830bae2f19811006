import { z } from 'zod';
import { sources, type SourceName } from '../sources/registry.js';

/**
 * What a pipeline run is: which content, how findings are windowed and bounded, how risk is
 * scored. One object for scan, watch, serve and workers; a command only turns its flags into it.
 *
 * The type is exported alone (`import type` costs nothing at run time): `scan` builds the object
 * from flags commander already checked and never loads zod. Anything reading a configuration from
 * outside a typed caller (a file, a request, a message) validates it with `parsePipelineConfig`.
 */
const sourceNames = Object.keys(sources) as [SourceName, ...SourceName[]];

const seconds = z.number().finite().positive();

export const pipelineConfigSchema = z.strictObject({
  /** detection YAML files or directories; correlations are read from the `correlations/` folder beside each */
  rules: z.array(z.string().min(1)).min(1),
  /** run only these detections (names or ids), this story, this ATT&CK technique */
  selection: z
    .strictObject({
      detections: z.array(z.string()).default([]),
      story: z.string().optional(),
      mitre: z.string().optional(),
    })
    .default({ detections: [] }),
  /** tuning file (filter macro -> SPL filter) */
  tuningFile: z.string().optional(),
  /** keep only findings matching this SPL expression over output columns */
  where: z.string().optional(),
  input: z
    .strictObject({
      /** force one source instead of sniffing each input */
      format: z.enum(sourceNames).optional(),
      maxRecordBytes: z.number().int().positive().default(1024 * 1024),
      prefilter: z.boolean().default(true),
      /** epoch seconds; events outside are ignored */
      timeRange: z.strictObject({ from: z.number().optional(), to: z.number().optional() }).optional(),
      /** RFC 3164 syslog headers have no year and no zone: for events without a time of their own */
      syslogClock: z.strictObject({ year: z.number().int().min(1970).max(9999).optional(), timeZone: z.string().optional() }).optional(),
    })
    .default({ maxRecordBytes: 1024 * 1024, prefilter: true }),
  findings: z
    .strictObject({
      /** UTC-aligned window per finding; absent: one window for the whole run (scan) */
      windowSeconds: seconds.optional(),
      /** the watermark trails the newest event time by this much */
      allowedLatenessSeconds: z.number().finite().min(0).default(0),
      /** groups kept per detection */
      maxGroups: z.number().int().positive().default(100_000),
      /** list findings suppressed by tuning, marked, instead of leaving them out */
      showSuppressed: z.boolean().default(false),
      /** one finding per matching event (a responders' timeline) instead of one per group */
      perEvent: z.boolean().optional(),
      /** contributing events kept as evidence per finding (per correlation step); absent: 10 */
      evidence: z.number().int().min(0).optional(),
    })
    .default({ allowedLatenessSeconds: 0, maxGroups: 100_000, showSuppressed: false }),
  risk: z
    .strictObject({
      windowSeconds: seconds.default(24 * 3600),
      threshold: z.number().finite().default(100),
      minTactics: z.number().int().positive().default(3),
    })
    .default({ windowSeconds: 24 * 3600, threshold: 100, minTactics: 3 }),
});

export type PipelineConfig = z.output<typeof pipelineConfigSchema>;
/** what a caller may leave out (defaults filled in by `parsePipelineConfig`) */
export type PipelineConfigInput = z.input<typeof pipelineConfigSchema>;

/** Validated configuration, or every problem at its path (`findings.windowSeconds: ...`). */
export function parsePipelineConfig(input: unknown): { config: PipelineConfig } | { errors: string[] } {
  const result = pipelineConfigSchema.safeParse(input);
  if (result.success) return { config: result.data };
  return { errors: result.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`) };
}
