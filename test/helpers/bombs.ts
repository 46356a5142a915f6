// Hostile files for tests and the fuzzer: bombs by their headers, small to send.
import { deflateSync } from 'node:zlib';

/** A PNG whose header claims `width` x `height` gray pixels over a tiny IDAT: a decompression bomb. */
export function pngBomb(width: number, height = width): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    return Buffer.concat([length, Buffer.from(type, 'ascii'), data, Buffer.alloc(4)]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth; colour type 0 (gray)
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(4096))), chunk('IEND', Buffer.alloc(0))]);
}

/** A copy of `zip` whose central directory claims `bytes` uncompressed for every entry: a zip bomb by its directory. */
export function claimSize(zip: Uint8Array, bytes: number): Buffer {
  const out = Buffer.from(zip);
  for (let at = 0; at + 4 <= out.length; at++) if (out.readUInt32LE(at) === 0x02014b50) out.writeUInt32LE(bytes, at + 24);
  return out;
}
