// Bundles the CLI (dist/src/cli/main.js, tsc's output) into dist/src/cli/tunnelwatch.js plus
// lazily loaded chunks beside it: one file where Node's ES module loader would resolve, read
// and link about a hundred, which saves about 35 ms of every run's start-up. Dynamic imports stay
// separate chunks (splitting), so what a scan never needs (YAML parsing, zod) is still never
// loaded; npm packages stay external. Worker files and other `new URL('./x', import.meta.url)`
// references are rebased so that they still name tsc's files under dist/.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as esbuild from 'esbuild';

const outdir = path.resolve('dist/src/cli');
const FILE_URL = /new URL\((['"])(\.{1,2}\/[^'"]*)\1, import\.meta\.url\)/g;

/** `new URL(rel, import.meta.url)` in a dist module, made relative to the bundle's directory */
const rebaseFileUrls = {
  name: 'rebase-file-urls',
  setup(build) {
    build.onLoad({ filter: /[\\/]dist[\\/].*\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const contents = source.replace(FILE_URL, (_, _quote, rel) => {
        const target = path.resolve(path.dirname(args.path), rel);
        const fromBundle = path.relative(outdir, target).split(path.sep).join('/') + (rel.endsWith('/') || rel.endsWith('..') ? '/' : '');
        return `new URL(${JSON.stringify(fromBundle.startsWith('.') ? fromBundle : `./${fromBundle}`)}, import.meta.url)`;
      });
      return { contents, loader: 'js' };
    });
  },
};

await esbuild.build({
  entryPoints: { tunnelwatch: path.join(outdir, 'main.js') },
  outdir,
  chunkNames: 'tunnelwatch-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  plugins: [rebaseFileUrls],
  logLevel: 'warning',
});
