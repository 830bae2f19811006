import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

export interface BodyLimits {
  /** bytes on the wire */
  maxBodyBytes: number;
  /** bytes after gzip is undone: the cap that defeats a gzip bomb */
  maxDecompressedBytes: number;
}

export type BodyResult =
  | { ok: true; body: Buffer }
  | { ok: false; status: 413 | 415 | 400; text: string };

/**
 * Reads a request body with both caps enforced while it streams (never buffering past a cap),
 * undoing `Content-Encoding: gzip`; any other encoding is refused with 415.
 */
export async function readBody(stream: Readable, encoding: string | undefined, limits: BodyLimits): Promise<BodyResult> {
  const coding = (encoding ?? 'identity').trim().toLowerCase();
  if (coding !== 'identity' && coding !== '' && coding !== 'gzip' && coding !== 'x-gzip') {
    stream.resume();
    return { ok: false, status: 415, text: `Content-Encoding '${coding}' is not supported (gzip is)` };
  }
  const gzip = coding === 'gzip' || coding === 'x-gzip';
  const chunks: Buffer[] = [];
  let wire = 0;
  let size = 0;
  const tooLarge = (what: string, max: number): BodyResult => ({ ok: false, status: 413, text: `${what} too large (maximum is ${max} bytes)` });
  if (!gzip) {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      wire += chunk.length;
      if (wire > limits.maxBodyBytes) {
        stream.resume();
        return tooLarge('Content', limits.maxBodyBytes);
      }
      chunks.push(chunk);
    }
    return { ok: true, body: Buffer.concat(chunks, wire) };
  }
  const gunzip = createGunzip();
  return new Promise<BodyResult>((resolve) => {
    let settled = false;
    const finish = (result: BodyResult) => {
      if (settled) return;
      settled = true;
      if (!result.ok) {
        gunzip.destroy();
        stream.unpipe(gunzip);
        stream.resume();
      }
      resolve(result);
    };
    stream.on('data', (chunk: Buffer) => {
      wire += chunk.length;
      if (wire > limits.maxBodyBytes) finish(tooLarge('Content', limits.maxBodyBytes));
    });
    stream.on('error', () => finish({ ok: false, status: 400, text: 'request body could not be read' }));
    gunzip.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limits.maxDecompressedBytes) finish(tooLarge('Decompressed content', limits.maxDecompressedBytes));
      else chunks.push(chunk);
    });
    gunzip.on('error', () => finish({ ok: false, status: 400, text: 'gzip body is not valid' }));
    gunzip.on('end', () => finish({ ok: true, body: Buffer.concat(chunks, size) }));
    stream.pipe(gunzip);
  });
}
