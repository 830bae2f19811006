// Assembles each src/**/*.wat (with wabt) into an ES module beside tsc's output that exports the
// WebAssembly bytes: `import bytes from './x.wasm.js'` (typed by src/**/x.wasm.d.ts). Embedded
// bytes need no file lookup at run time, so they survive bundling.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import initWabt from 'wabt';

const wabt = await initWabt();
for (const entry of readdirSync('src', { recursive: true })) {
  if (!entry.endsWith('.wat')) continue;
  const source = path.join('src', entry);
  const module = wabt.parseWat(source, readFileSync(source, 'utf8'), { simd: true, bulk_memory: true });
  module.validate();
  const base64 = Buffer.from(module.toBinary({}).buffer).toString('base64');
  module.destroy();
  const out = path.join('dist', source.replace(/\.wat$/, '.wasm.js'));
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `// assembled from ${entry} by scripts/build-wasm.mjs\nexport default Buffer.from('${base64}', 'base64');\n`);
}
