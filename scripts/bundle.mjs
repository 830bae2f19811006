// Bundles the CLI (tsc's output under dist/src/cli) into dist/src/cli/tunnelwatch.js (the bin, a
// dispatcher: src/cli/bin.ts) and two bundles beside it: tunnelwatch-scan.js, scan alone, and
// tunnelwatch-main.js, every command. Each is one file where Node's ES module loader would
// resolve, read and link about a hundred, which saves about 35 ms of every run's start-up; scan
// has a bundle of its own because, sharing code with the other commands, it was split into ~40
// chunks (13 modules load for a small scan now, 44 before). The bundles are minified (whitespace
// and syntax, not names) and checked to be ASCII. Dynamic imports stay separate chunks
// (splitting), so what a scan never needs (YAML parsing, zod) is still never
// loaded. npm packages stay external but for commander, which every command parses its arguments
// with: bundled, its package resolution (exports maps, realpaths) and CommonJS export scan are
// gone from every run's start-up (about 25 M instructions, ~3.5 ms, of a small scan). The worker
// threads' modules are entry points of their own, and `new URL('./x', import.meta.url)`
// references are rebased: to the bundled worker where there is one, else to tsc's file under dist/.
import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as esbuild from 'esbuild';

const outdir = path.resolve('dist/src/cli');
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const BUNDLED_PACKAGES = new Set(['commander']);
const external = [pkg.dependencies, pkg.devDependencies, pkg.optionalDependencies].flatMap((deps) => Object.keys(deps ?? {})).filter((name) => !BUNDLED_PACKAGES.has(name));
/** bundle entry name → the dist module it bundles */
const entryPoints = {
  'tunnelwatch-main': path.join(outdir, 'main.js'),
  'tunnelwatch-scan-worker': path.resolve('dist/src/pipeline/scan-worker.js'),
  'tunnelwatch-evtx-worker': path.resolve('dist/src/sources/evtx/worker.js'),
  'tunnelwatch-serve-worker': path.resolve('dist/src/serve/processor-worker.js'),
};
const bundled = new Map(Object.entries(entryPoints).map(([name, file]) => [file, `./${name}.js`]));
const FILE_URL = /new URL\((['"])(\.{1,2}\/[^'"]*)\1, import\.meta\.url\)/g;

/** `new URL(rel, import.meta.url)` in a dist module, made relative to the bundle's directory */
const rebaseFileUrls = {
  name: 'rebase-file-urls',
  setup(build) {
    build.onLoad({ filter: /[\\/]dist[\\/].*\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const contents = source.replace(FILE_URL, (_, _quote, rel) => {
        const target = path.resolve(path.dirname(args.path), rel);
        if (bundled.has(target)) return `new URL(${JSON.stringify(bundled.get(target))}, import.meta.url)`;
        const fromBundle = path.relative(outdir, target).split(path.sep).join('/') + (rel.endsWith('/') || rel.endsWith('..') ? '/' : '');
        return `new URL(${JSON.stringify(fromBundle.startsWith('.') ? fromBundle : `./${fromBundle}`)}, import.meta.url)`;
      });
      return { contents, loader: 'js' };
    });
  },
};

/**
 * A hash of every compiled module under dist/src (src/rules/code-id.ts): caches of what the code
 * derives from content are keyed by it, so a table an older build derived is never read.
 */
function codeId() {
  const hash = createHash('sha256');
  // tsc's modules only, not an earlier bundle's output beside them
  const files = readdirSync('dist/src', { recursive: true }).filter((name) => name.endsWith('.js') && !/^cli[\\/]tunnelwatch[-.]/.test(name)).sort();
  for (const file of files) hash.update(`${file}\0`).update(readFileSync(path.join('dist/src', file))).update('\0');
  return hash.digest('hex').slice(0, 40);
}

/**
 * commander requires child_process when it loads, for executable subcommands (which tunnelwatch
 * has none of): with net, dgram and the rest that loads with it, ~3 ms of every run. Here it is
 * required on first use instead.
 */
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(build) {
    build.onResolve({ filter: /^(node:)?child_process$/ }, (args) => (/[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'lazy-child-process' } : undefined));
    build.onLoad({ filter: /.*/, namespace: 'lazy-child-process' }, () => ({
      contents: "module.exports = { spawn: (...args) => require('node:child_process').spawn(...args) };",
      loader: 'js',
    }));
  },
};

const readable = process.env.BUNDLE_READABLE === '1';

const common = {
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  define: { TUNNELWATCH_CODE_ID: JSON.stringify(codeId()) },
  // commander is CommonJS and requires Node's built-ins: an ES module has no `require` of its own
  banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
  plugins: [rebaseFileUrls, lazyChildProcess],
  // Without comments and indentation the scan's bundle is 320 KB, not 482: less for V8 to scan and
  // preparse at every start (callgrind: 410 -> 398 M instructions for a small scan). Names are kept,
  // so stack traces still say which function; BUNDLE_READABLE=1 keeps the layout for debugging.
  minifyWhitespace: !readable,
  minifySyntax: !readable,
  logLevel: 'warning',
};

// every command (main.js) and the worker threads' modules
await esbuild.build({ ...common, entryPoints, chunkNames: 'tunnelwatch-[hash]' });
// scan alone (scan-main.js), built apart: only its own lazy imports split it into chunks, where
// sharing code with the other commands split it into about forty, each a file more to load
await esbuild.build({ ...common, entryPoints: { 'tunnelwatch-scan': path.join(outdir, 'scan-main.js') }, chunkNames: 'tunnelwatch-scan-[hash]' });

/** bin.js's two imports, to the two bundles above */
const toBundles = {
  name: 'to-bundles',
  setup(build) {
    const bundles = { './main.js': './tunnelwatch-main.js', './scan-main.js': './tunnelwatch-scan.js' };
    build.onResolve({ filter: /^\.\/(scan-)?main\.js$/ }, (args) => ({ path: bundles[args.path], external: true }));
  },
};
// the bin: which of the two a command line runs
await esbuild.build({ entryPoints: { tunnelwatch: path.join(outdir, 'bin.js') }, outdir, bundle: true, format: 'esm', platform: 'node', target: 'node20', plugins: [toBundles], logLevel: 'warning' });

// A bundle must be ASCII (esbuild escapes strings; comments, which minifying drops, are not): one
// non-ASCII character makes Node decode the whole file into a two-byte string, twice the memory
// and a slower parse for the 482 KB scan bundle, which two em dashes in comments once did.
if (!readable) {
  for (const name of readdirSync(outdir).filter((n) => /^tunnelwatch.*\.js$/.test(n))) {
    if (!isAscii(readFileSync(path.join(outdir, name)))) throw new Error(`${name} is not ASCII`);
  }
}
