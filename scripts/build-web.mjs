// Builds the browser code in web/ with Vite: the HTML report's script and style as one IIFE and one
// stylesheet (dist/web/report/, inlined into each report by src/sinks/html.ts) and the dashboard
// that `serve` serves (dist/web/app/). Everything is bundled: nothing loads from a CDN.
import path from 'node:path';

const { build } = await import('vite').catch((error) => {
  console.error(`build-web: cannot load vite (${error.code ?? error.message}). package.json lists vite, preact and uplot as devDependencies: run \`npm install\` (a worktree whose node_modules links another checkout's needs its own).`);
  process.exit(1);
});

const web = path.resolve('web');
const common = {
  configFile: false,
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  define: { 'process.env.NODE_ENV': '"production"' },
};

await build({
  ...common,
  root: web,
  build: {
    outDir: path.resolve('dist/web/report'),
    emptyOutDir: true,
    cssCodeSplit: false,
    lib: { entry: path.join(web, 'report/main.tsx'), formats: ['iife'], name: 'tunnelwatchReport', fileName: () => 'report.js', cssFileName: 'report' },
  },
});

await build({
  ...common,
  root: path.join(web, 'app'),
  base: '/',
  build: { outDir: path.resolve('dist/web/app'), emptyOutDir: true, modulePreload: { polyfill: false } },
});
