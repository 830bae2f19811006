/**
 * The part of the WebAssembly JS API the DFA kernel uses. Node has it as a global, but its types
 * ship only in TypeScript's DOM libraries, which would declare a browser's globals for all of the code.
 */
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, unknown>);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
}
