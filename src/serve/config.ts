import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TokenConfig } from '../ingest/hec.js';

export type { TokenConfig };

export interface ServeConfig {
  tokens: TokenConfig[];
  /** accept `?token=` (Splunk's allowQueryStringAuth); off by default, as in Splunk */
  allowQueryStringAuth: boolean;
}

export const configFileName = 'tunnelwatch.yaml';
const tokenFileName = 'token';

/**
 * Reads and validates the config file (YAML). Every problem is reported with its path, and the
 * server does not start: a half-understood token list is worse than none.
 */
export async function loadServeConfig(file: string | undefined): Promise<ServeConfig | { errors: string[] }> {
  if (!file) return { tokens: [], allowQueryStringAuth: false };
  const [{ parse }, { z }] = await Promise.all([import('yaml'), import('zod')]);
  const token = z
    .object({
      token: z.string().min(8, 'a token needs at least 8 characters'),
      name: z.string().optional(),
      index: z.string().optional(),
      source: z.string().optional(),
      sourcetype: z.string().optional(),
      host: z.string().optional(),
      indexes: z.array(z.string()).optional(),
      ack: z.boolean().default(false),
      disabled: z.boolean().default(false),
      api: z.boolean().default(false),
    })
    .strict();
  const schema = z
    .object({
      tokens: z.array(token).default([]),
      allowQueryStringAuth: z.boolean().default(false),
    })
    .strict();
  let data: unknown;
  try {
    data = parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return { errors: [`${file}: ${(error as Error).message}`] };
  }
  const result = schema.safeParse(data ?? {});
  if (!result.success) return { errors: result.error.issues.map((i) => `${file}: ${i.path.join('.') || '(top)'}: ${i.message}`) };
  return {
    allowQueryStringAuth: result.data.allowQueryStringAuth,
    tokens: result.data.tokens.map((t, i) => ({ ...t, name: t.name ?? `token ${i + 1}` })),
  };
}

/**
 * The primary token (HEC and API): `--token`, else TUNNELWATCH_TOKEN, else the one kept in the data
 * directory, else a new one written there (mode 0600); `generated` says it is new and must be shown once.
 */
export function primaryToken(dataDir: string, flag: string | undefined, env: string | undefined): { token: string; generated: boolean } {
  if (flag) return { token: flag, generated: false };
  if (env) return { token: env, generated: false };
  const file = path.join(dataDir, tokenFileName);
  if (existsSync(file)) return { token: readFileSync(file, 'utf8').trim(), generated: false };
  mkdirSync(dataDir, { recursive: true });
  // a GUID, as Splunk's HEC tokens are: some forwarders validate the form
  const token = randomUUID();
  writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return { token, generated: true };
}

/** An opaque random session id for the dashboard's HttpOnly cookie. */
export function sessionId(): string {
  return randomBytes(24).toString('base64url');
}
