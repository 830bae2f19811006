import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

/** The dashboard as Vite builds it from `web/app/` (scripts/build-web.mjs). */
export const dashboardDir = fileURLToPath(new URL('../../web/app/', import.meta.url));

/**
 * The served app's policy: its own script and style files only (no inline script, no eval), API
 * calls to its own origin, never framed. Log data reaches the page only as JSON from the API.
 */
export const dashboardCsp = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/**
 * Serves the built dashboard from `dir`: `/` is the app (views live in the URL's hash), `/assets/*`
 * the hashed bundles (cached as immutable). A file outside `dir`, or of a type not listed, is 404.
 * `tunnelwatch serve` registers this beside its API.
 */
export async function registerDashboard(app: FastifyInstance, dir = dashboardDir): Promise<void> {
  const root = path.resolve(dir);
  const index = await readFile(path.join(root, 'index.html'), 'utf8').catch(() => {
    throw new Error(`the dashboard is not built (${path.join(root, 'index.html')} is missing): run \`npm run build\``);
  });
  app.get('/', async (_request, reply) =>
    reply.header('content-security-policy', dashboardCsp).header('cache-control', 'no-cache').type(contentTypes['.html']).send(index),
  );
  app.get('/assets/*', async (request, reply) => {
    const name = (request.params as { '*': string })['*'];
    const file = path.resolve(root, 'assets', name);
    const type = contentTypes[path.extname(file)];
    if (!type || !file.startsWith(path.join(root, 'assets') + path.sep)) return reply.code(404).send({ error: 'not found' });
    const body = await readFile(file).catch(() => undefined);
    if (!body) return reply.code(404).send({ error: 'not found' });
    return reply.header('content-security-policy', dashboardCsp).header('cache-control', 'public, max-age=31536000, immutable').type(type).send(body);
  });
}
