/** json-strings.wat assembled to WebAssembly by scripts/build-wasm.mjs at build time */
declare const bytes: Uint8Array<ArrayBuffer>;
export default bytes;
