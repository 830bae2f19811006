// Injected into the CommonJS bundles (scripts/bundle.mjs): what `import.meta.url` is in them.
export const importMetaUrl = require('node:url').pathToFileURL(__filename).href;
