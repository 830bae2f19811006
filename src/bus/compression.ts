import { promisify } from 'node:util';
import { constants, createInflateRaw, deflateRaw, inflateRawSync, type InflateRaw } from 'node:zlib';

const deflate = promisify(deflateRaw);

/**
 * How a chunk's body travels on the bus. Raw deflate at level 1: log text shrinks 6-17x for a few
 * milliseconds per chunk on the publisher (zlib's thread pool, so a publisher uses both cores), and
 * the stream engine, which reads, stores and sends every byte, does a fraction of the work — on
 * the 2-core bench machine nats-server spent more CPU delivering the raw bytes than PostgreSQL did
 * storing every partial state (docs/scale-out.md, "Measured").
 */
export type BodyEncoding = 'deflate' | 'identity';

/** Never inflates past this: a chunk is about CHUNK_TARGET_BYTES, and a crafted body must not exhaust memory. */
export const MAX_INFLATED_BYTES = 64 * 1024 * 1024;

export async function encodeBody(body: Uint8Array): Promise<{ body: Uint8Array; encoding: BodyEncoding }> {
  const packed = await deflate(body, { level: 1 });
  // incompressible bytes (already compressed, random) travel as they are
  return packed.length < body.length ? { body: packed, encoding: 'deflate' } : { body, encoding: 'identity' };
}

/** the hint as a size to inflate into, or undefined when it is none (absent, nonsense) */
function sizeHint(rawBytes: number | undefined): number | undefined {
  return rawBytes !== undefined && Number.isSafeInteger(rawBytes) && rawBytes > 0 ? Math.min(rawBytes, MAX_INFLATED_BYTES) : undefined;
}

/**
 * The body's raw bytes in a buffer of their own, or why they cannot be had (an unknown encoding, a
 * corrupt or oversized deflate stream). `rawBytes`, the sender's word for the inflated size, is
 * only a hint: inflating into one buffer of that size saves zlib's 16 KiB pieces and their
 * concatenation (a third of the inflate's CPU); a wrong or missing hint changes nothing but that.
 */
export function decodeBody(body: Uint8Array, encoding: string | undefined, rawBytes?: number): Uint8Array | string {
  return decodeWith(body, encoding, () => inflateOnce(body, rawBytes));
}

/** `inflate` for a deflate body; identity and unknown encodings, and inflate's errors, as reasons */
function decodeWith(body: Uint8Array, encoding: string | undefined, inflate: () => Uint8Array): Uint8Array | string {
  if (!encoding || encoding === 'identity') return body;
  if (encoding !== 'deflate') return `unknown body encoding '${encoding}'`;
  try {
    return inflate();
  } catch (error) {
    return `the deflate body does not inflate: ${(error as Error).message}`;
  }
}

/** a deflate body into a buffer of its own (throws zlib's errors) */
function inflateOnce(body: Uint8Array, rawBytes: number | undefined): Uint8Array {
  const size = sizeHint(rawBytes);
  // one byte more than the hint: zlib takes a full output buffer as "more may follow"
  return inflateRawSync(body, { maxOutputLength: MAX_INFLATED_BYTES, ...(size !== undefined && { chunkSize: Math.max(64, size + 1) }) });
}

/**
 * What `BodyDecoder` uses of Node's zlib stream object (lib/zlib.js of Node 20, not documented): the
 * binding's synchronous step, which inflates into a buffer the caller gives, and the two counts it
 * leaves behind. Not public API, so it is checked for on first use and done without when absent.
 */
interface ZlibStreamInternals {
  _handle?: { writeSync(flush: number, input: Uint8Array, inOffset: number, inLength: number, output: Uint8Array, outOffset: number, outLength: number): void } | null;
  /** after `writeSync`: [output room left, input bytes left] */
  _writeState?: Uint32Array;
}

/** a body inflating to more than this gets a buffer of its own, so one large message does not keep its memory for good */
const REUSED_BUFFER_MAX = 8 * 1024 * 1024;
/** without a hint, room for a chunk of the usual size (CHUNK_TARGET_BYTES) and the byte more zlib wants */
const FIRST_BUFFER_BYTES = 1024 * 1024 + 1;
const MIN_BUFFER_BYTES = 64 * 1024;

/**
 * Decodes one body after another into memory it keeps: a decoded body is valid until the next
 * `decode`. A worker inflates a ~1 MiB body per message; a fresh buffer for each (what
 * `inflateRawSync` returns) was the worker's largest allocation, memory outside V8's heap that made
 * V8 run a full mark-compact every ~60 messages and, given back to the system and taken again,
 * cost a page fault per 4 KiB (bench/README.md, "Tenth session": one worker 54 major GCs -> 10 over
 * the same messages, 25-50% more events/s). Where Node lacks the internals it uses (`ZlibStreamInternals`),
 * each body gets a buffer of its own (`decodeBody`); same bytes, same reasons either way.
 */
export class BodyDecoder {
  private engine?: InflateRaw & ZlibStreamInternals;
  private buffer = Buffer.alloc(0);

  /** whether bodies are inflated into reused memory (false: Node's zlib internals are not there) */
  get reusesMemory(): boolean {
    return this.inflater() !== undefined;
  }

  decode(body: Uint8Array, encoding: string | undefined, rawBytes?: number): Uint8Array | string {
    return decodeWith(body, encoding, () => {
      const engine = this.inflater();
      return engine ? this.inflate(engine, body, sizeHint(rawBytes)) : inflateOnce(body, rawBytes);
    });
  }

  private inflater(): (InflateRaw & Required<ZlibStreamInternals>) | undefined {
    // a zlib error destroys its stream object: the next body gets a new one
    if (!this.engine || this.engine.destroyed) {
      const engine: InflateRaw & ZlibStreamInternals = createInflateRaw();
      // the destroyed stream emits its error: read here from `errored` instead
      engine.on('error', () => undefined);
      this.engine = engine;
    }
    const { _handle, _writeState } = this.engine;
    return typeof _handle?.writeSync === 'function' && _writeState instanceof Uint32Array ? (this.engine as InflateRaw & Required<ZlibStreamInternals>) : undefined;
  }

  private inflate(engine: InflateRaw & Required<ZlibStreamInternals>, body: Uint8Array, hint: number | undefined): Uint8Array {
    engine.reset();
    // one byte more than the hint: zlib takes a full output buffer as "more may follow"
    let out = this.room(hint === undefined ? FIRST_BUFFER_BYTES : Math.max(MIN_BUFFER_BYTES, hint + 1));
    let written = 0;
    let inOffset = 0;
    let inLength = body.byteLength;
    for (;;) {
      const room = out.length - written;
      engine._handle!.writeSync(constants.Z_FINISH, body, inOffset, inLength, out, written, room);
      if (engine.errored) throw engine.errored;
      const [roomLeft, inputLeft] = engine._writeState;
      written += room - roomLeft;
      inOffset += inLength - inputLeft;
      inLength = inputLeft;
      if (roomLeft !== 0) return out.subarray(0, written);
      if (out.length > MAX_INFLATED_BYTES) throw new Error(`it inflates past the size limit of ${MAX_INFLATED_BYTES} bytes`);
      const bigger = this.room(Math.min(out.length * 2, MAX_INFLATED_BYTES + 1));
      bigger.set(out.subarray(0, written));
      out = bigger;
    }
  }

  /** a buffer of at least `bytes`: the kept one, grown when it is too small and within REUSED_BUFFER_MAX */
  private room(bytes: number): Buffer {
    if (this.buffer.length >= bytes) return this.buffer;
    const fresh = Buffer.allocUnsafe(bytes);
    if (bytes <= REUSED_BUFFER_MAX) this.buffer = fresh;
    return fresh;
  }
}
