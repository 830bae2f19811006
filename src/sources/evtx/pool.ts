/**
 * Worker threads that decode EVTX chunks (piscina). A reader starts its own pool for one large
 * input; a caller reading many inputs (dump of a directory) can own one pool for all of them, so
 * workers start once and stay busy across file boundaries.
 */
import type { ChunkTask, ChunkTaskResult } from './worker.js';

interface Piscinalike {
  run(task: ChunkTask, opts: { transferList: ArrayBuffer[] }): Promise<ChunkTaskResult>;
  destroy(): Promise<void>;
}

export class EvtxPool {
  private constructor(private readonly piscina: Piscinalike, readonly threads: number) {}

  static async start(threads: number): Promise<EvtxPool> {
    const { Piscina } = await import('piscina');
    const piscina = new Piscina({ filename: new URL('./worker.js', import.meta.url).href, maxThreads: threads, minThreads: threads });
    return new EvtxPool(piscina as unknown as Piscinalike, threads);
  }

  /** `task.chunk`'s ArrayBuffer is transferred: the caller must not use it afterwards */
  run(task: ChunkTask): Promise<ChunkTaskResult> {
    return this.piscina.run(task, { transferList: [task.chunk.buffer as ArrayBuffer] });
  }

  destroy(): Promise<void> {
    return this.piscina.destroy();
  }
}
