import { promisify } from 'node:util';
import { deflateRaw, inflateRawSync } from 'node:zlib';

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

/**
 * The body's raw bytes, or why they cannot be had (an unknown encoding, a corrupt or oversized
 * deflate stream). `rawBytes`, the sender's word for the inflated size, is only a hint: inflating
 * into one buffer of that size saves zlib's 16 KiB pieces and their concatenation (a third of the
 * inflate's CPU); a wrong or missing hint changes nothing but that.
 */
export function decodeBody(body: Uint8Array, encoding: string | undefined, rawBytes?: number): Uint8Array | string {
  if (!encoding || encoding === 'identity') return body;
  if (encoding !== 'deflate') return `unknown body encoding '${encoding}'`;
  const sized = rawBytes !== undefined && Number.isSafeInteger(rawBytes) && rawBytes > 0;
  try {
    // one byte more than the hint: zlib takes a full output buffer as "more may follow"
    return inflateRawSync(body, { maxOutputLength: MAX_INFLATED_BYTES, ...(sized && { chunkSize: Math.max(64, Math.min(rawBytes, MAX_INFLATED_BYTES) + 1) }) });
  } catch (error) {
    return `the deflate body does not inflate: ${(error as Error).message}`;
  }
}
