// Assembles each src/**/*.wat into the same place under dist/ as a .wasm (the build's second step, after tsc).
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import initWabt from 'wabt';

const wabt = await initWabt();
for (const entry of readdirSync('src', { recursive: true })) {
  if (!entry.endsWith('.wat')) continue;
  const source = path.join('src', entry);
  const module = wabt.parseWat(source, readFileSync(source, 'utf8'), {});
  module.validate();
  const out = path.join('dist', source.replace(/\.wat$/, '.wasm'));
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, module.toBinary({}).buffer);
  module.destroy();
}
