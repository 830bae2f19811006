const PAGE = 65536;

/** grows `memory` (which detaches its old buffer) to at least `bytes` */
export function growMemoryTo(memory: WebAssembly.Memory, bytes: number): void {
  const have = memory.buffer.byteLength;
  if (have < bytes) memory.grow(Math.ceil((bytes - have) / PAGE));
}
