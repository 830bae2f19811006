// Bundles the CLI (tsc's output under dist/src/cli) into dist/src/cli/tunnelwatch.cjs (the bin, a
// CommonJS dispatcher: src/cli/bin.ts) and two bundles beside it: tunnelwatch-scan.cjs, scan alone,
// run through V8's code cache (src/cli/code-cache.ts), and tunnelwatch-main.js, every command. Each
// is one file where Node's ES module loader would resolve, read and link about a hundred, which
// saves about 35 ms of every run's start-up. The scan's is CommonJS, one file with its lazy imports
// inlined (they run on first use, and with the code cache V8 no longer parses what a run does not
// call); the other commands' is an ES module whose dynamic imports stay separate chunks
// (splitting). The bundles are minified (whitespace and syntax, not names) and checked to be ASCII.
// npm packages stay external but for commander, which every command parses its arguments
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
import { BUNDLE_HEAD, BUNDLE_TAIL } from '../dist/src/cli/code-cache.js';

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
  // Without comments and indentation the ES module scan bundle was 320 KB, not 482: less to read and,
  // where no code cache serves, for V8 to scan and preparse (callgrind: 410 -> 398 M instructions
  // for a small scan). Names are kept, so stack traces still say which function (minified names
  // saved a small scan ~5 ms more: bench/README.md, seventeenth session); BUNDLE_READABLE=1 keeps
  // the layout for debugging.
  minifyWhitespace: !readable,
  minifySyntax: !readable,
  logLevel: 'warning',
};

// every command (main.js) and the worker threads' modules
await esbuild.build({ ...common, entryPoints, chunkNames: 'tunnelwatch-[hash]' });
/**
 * A CommonJS bundle, for src/cli/code-cache.ts to run with V8's code cache (Node 20 has none for ES
 * modules): one file, its lazy imports inlined as functions that run on first use, `import.meta.url`
 * the bundle's own URL. The bin is an ordinary CommonJS file; the scan's bundle is wrapped in the
 * function Node would wrap it in (code-cache.ts), so that V8 compiles the file's bytes as they are.
 */
const commonJs = {
  ...common,
  format: 'cjs',
  splitting: false,
  supported: { 'dynamic-import': false },
  outExtension: { '.js': '.cjs' },
  define: { ...common.define, 'import.meta.url': 'importMetaUrl' },
  inject: [path.resolve('scripts/cjs-import-meta-url.js')],
  // no ES module banner: CommonJS has a `require` of its own
  banner: {},
};
const wrapped = { banner: { js: BUNDLE_HEAD }, footer: { js: BUNDLE_TAIL } };
// scan alone (scan-main.js), the command whose start-up counts most: built apart from the others and
// as CommonJS, so that it runs through the code cache (bin.ts)
await esbuild.build({ ...commonJs, ...wrapped, entryPoints: { 'tunnelwatch-scan': path.join(outdir, 'scan-main.js') } });

/** bin.js's import of main.js, to the bundle above */
const toMainBundle = {
  name: 'to-main-bundle',
  setup(build) {
    build.onResolve({ filter: /^\.\/main\.js$/ }, () => ({ path: './tunnelwatch-main.js', external: true }));
  },
};
// the bin (CommonJS: an ES module entry point costs every run Node's module loader): which bundle a command line runs
await esbuild.build({ ...commonJs, entryPoints: { tunnelwatch: path.join(outdir, 'bin.js') }, external: [], supported: {}, plugins: [toMainBundle] });

// A bundle must be ASCII (esbuild escapes strings; comments, which minifying drops, are not): one
// non-ASCII character makes Node decode the whole file into a two-byte string, twice the memory
// and a slower parse for the scan bundle (482 KB then), which two em dashes in comments once did.
if (!readable) {
  for (const name of readdirSync(outdir).filter((n) => /^tunnelwatch.*\.c?js$/.test(n))) {
    if (!isAscii(readFileSync(path.join(outdir, name)))) throw new Error(`${name} is not ASCII`);
  }
}
