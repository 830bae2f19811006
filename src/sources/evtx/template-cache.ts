/**
 * Template definitions parsed in earlier chunks, for the chunks that define them again. A chunk
 * holds the definitions its records use, so every chunk of a log parses the same few templates
 * again (as libevtx and the evtx crate do: the names in a definition are chunk offsets); on the
 * bench's EVTX set that parse was about half of what the decoder allocated. A definition is
 * reused only when its bytes are those of the kept one but for its chunk-specific fields (each
 * name's offset, an inline name's hash-chain link) and each name it refers to elsewhere in its
 * chunk is the same name: the parse, which reads nothing else, would build the same nodes.
 */
import { N_ELEMENT, N_INSTANCE, type Node } from './nodes.js';
import { u32 } from './values.js';

/** A name reference met while parsing a definition: its offset field (from the data's start), the name, and whether it was inline. */
export interface NameRef {
  at: number;
  name: string;
  inline: boolean;
}

/** A parsed definition as kept: its data with the chunk-specific fields zeroed, its name references, its nodes. */
interface KeptTemplate {
  bytes: Buffer;
  refs: NameRef[];
  nodes: Node[];
  /** elements its parse met (the chunk context counts them: parseNested's retry reads the count) */
  elements: number;
}

/** An offset field (4 bytes), and for an inline name the link to the next name of its hash bucket that follows it (4 more) */
const OFFSET_BYTES = 4;
const INLINE_LINK_BYTES = 4;
/** Definitions kept at most; past it the cache starts over (a crafted log may hold a new GUID in every chunk). */
const MAX_KEPT = 1024;

export class TemplateCache {
  private readonly kept = new Map<string, KeptTemplate>();
  /** definitions found here rather than parsed */
  reused = 0;

  /**
   * The nodes of the kept definition that the data buf[start, end) is, with how many elements its
   * parse met; undefined when none is. `nameAt` resolves a name offset of the chunk (and throws
   * on one that is not a name).
   */
  find(key: string, buf: Buffer, start: number, end: number, nameAt: (offset: number) => string): KeptTemplate | undefined {
    const kept = this.kept.get(key);
    if (!kept || kept.bytes.length !== end - start) return undefined;
    let from = 0;
    for (const ref of kept.refs) {
      const field = start + ref.at;
      if (kept.bytes.compare(buf, start + from, field, from, ref.at) !== 0) return undefined;
      const offset = u32(buf, field);
      // inline here exactly where it was inline there: the name's own bytes follow and are compared
      if ((offset === field + OFFSET_BYTES) !== ref.inline) return undefined;
      if (!ref.inline && !sameName(nameAt, offset, ref.name)) return undefined;
      from = ref.at + OFFSET_BYTES + (ref.inline ? INLINE_LINK_BYTES : 0);
    }
    if (kept.bytes.compare(buf, start + from, end, from, kept.bytes.length) !== 0) return undefined;
    this.reused++;
    return kept;
  }

  /** Keeps a definition parsed from buf[start, end) (`refs` as its parse met them), unless its nodes hold a template instance (bound to its chunk). */
  keep(key: string, buf: Buffer, start: number, end: number, refs: NameRef[], nodes: Node[], elements: number): void {
    if (holdsInstance(nodes)) return;
    const bytes = Buffer.from(buf.subarray(start, end));
    for (const ref of refs) bytes.fill(0, ref.at, ref.at + OFFSET_BYTES + (ref.inline ? INLINE_LINK_BYTES : 0));
    if (this.kept.size >= MAX_KEPT) this.kept.clear();
    this.kept.set(key, { bytes, refs, nodes, elements });
  }
}

function sameName(nameAt: (offset: number) => string, offset: number, name: string): boolean {
  try {
    return nameAt(offset) === name;
  } catch {
    return false;
  }
}

function holdsInstance(nodes: readonly Node[]): boolean {
  return nodes.some((n) => n.k === N_INSTANCE || (n.k === N_ELEMENT && holdsInstance(n.children)));
}
