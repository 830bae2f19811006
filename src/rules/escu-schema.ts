import { z } from 'zod';
import { detectionTypes } from './detection.js';

const mitreId = z.string().regex(/^T\d{4}(\.\d{3})?$/, 'MITRE ATT&CK ids look like T1572 or T1090.001');

const riskObject = z
  .object({
    field: z.string().min(1),
    type: z.string().min(1).describe('user, system, other...'),
    score: z.number().int().min(0).max(100),
  })
  .strict();

const threatObject = z.object({ field: z.string().min(1), type: z.string().min(1) }).strict();

const attackData = z.object({
  data: z.string().min(1).describe('attack data path, relative to the content root'),
  source: z.string().optional(),
  sourcetype: z.string().optional(),
  /** ESCU: shift the sample's times to now when replaying it into Splunk (nothing to do here) */
  // contentctl writes it as a boolean; some ESCU files quote it ('True')
  update_timestamp: z.union([z.boolean(), z.enum(['true', 'false', 'True', 'False']).transform((v) => v.toLowerCase() === 'true')]).optional(),
}).strict();

/** ESCU before `rba:` (2024 and earlier): the entities a finding names, with their role in the attack. */
const observable = z.object({
  name: z.string().min(1).describe('output column'),
  type: z.string().min(1).describe('Hostname, User, IP Address, Process, File Name, ...'),
  role: z.array(z.string()).default([]).describe('Victim (a risk object) or Attacker (a threat object)'),
}).strict();

const expectedRow = z.record(z.string(), z.union([z.string(), z.number()]));

const detectionTest = z.object({
  name: z.string().min(1),
  attack_data: z.array(attackData).min(1),
  expected: z
    .object({
      findings: z.number().int().min(0).describe('number of output rows'),
      rows: z.array(expectedRow).default([]).describe('rows that must appear (compared on the listed columns)'),
    })
    .strict()
    .optional(),
  test_type: z.string().optional().describe("ESCU's unit or integration"),
}).strict();

/** tunnelwatch's extension: the tunnelling tools a detection covers, by the names docs/coverage.md uses. */
const toolNames = z
  .array(z.string().regex(/^[a-z0-9]+([.-][a-z0-9]+)*$/, 'a tool name in lower case, like ngrok, ligolo-ng or localhost.run'))
  .min(1)
  .refine((tools) => new Set(tools).size === tools.length, 'a tool is listed twice');

/**
 * ESCU's detection schema plus our extensions (`tests[].expected`, `tags.tools`). Every object is
 * strict: a key the schema does not know (a misspelling) is an error at the key, not silently ignored.
 */
export const escuDetectionSchema = z.object({
  name: z.string().min(1),
  id: z.uuid(),
  version: z.number().int().min(1),
  date: z.union([z.string(), z.date()]).optional(),
  author: z.string().optional(),
  status: z.string().default('production'),
  type: z.enum(detectionTypes),
  description: z.string().min(1),
  data_source: z.array(z.string()).default([]),
  search: z.string().min(1),
  how_to_implement: z.string().optional(),
  known_false_positives: z.string().optional(),
  references: z.array(z.string()).default([]),
  drilldown_searches: z
    .array(
      z.object({
        name: z.string(),
        search: z.string(),
        earliest_offset: z.union([z.string(), z.number()]).optional(),
        latest_offset: z.union([z.string(), z.number()]).optional(),
      }).strict(),
    )
    .default([]),
  rba: z
    .object({
      message: z.string().min(1),
      risk_objects: z.array(riskObject).default([]),
      threat_objects: z.array(threatObject).default([]),
    })
    .strict()
    .optional(),
  tags: z.object({
    analytic_story: z.array(z.string()).min(1),
    asset_type: z.string().optional(),
    mitre_attack_id: z.array(mitreId).default([]),
    product: z.array(z.string()).optional(),
    security_domain: z.string().optional(),
    // risk as ESCU gave it before `rba:` (2024 and earlier), read when there is no rba block
    observable: z.array(observable).default([]),
    risk_score: z.number().min(0).max(100).optional(),
    message: z.string().optional(),
    // ESCU tags tunnelwatch does not read, accepted so an ESCU file loads unchanged
    confidence: z.number().optional(),
    impact: z.number().optional(),
    required_fields: z.array(z.string()).optional(),
    context: z.array(z.string()).optional(),
    dataset: z.array(z.string()).optional(),
    supported_tas: z.array(z.string()).optional(),
    automated_detection_testing: z.string().optional(),
    cve: z.array(z.string()).optional(),
    atomic_guid: z.array(z.string()).optional(),
    manual_test: z.string().optional(),
    group: z.array(z.string()).optional(),
    tools: toolNames.optional(),
  }).strict(),
  tests: z.array(detectionTest).default([]),
  // older ESCU files name their data model too; the search says it
  datamodel: z.array(z.string()).optional(),
}).strict();

export type EscuDetectionYaml = z.infer<typeof escuDetectionSchema>;

/** An ESCU macro file (`macros/*.yml`), as contentctl reads it. */
export const escuMacroSchema = z.object({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.:-]*$/, 'a macro name is a plain identifier'),
  definition: z.string(),
  arguments: z.array(z.string().min(1)).default([]),
  description: z.string().optional(),
});
