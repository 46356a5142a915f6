// A small PNG decoder for the common non-interlaced files. Omniglot import decodes 32k
// tiny PNGs; through sharp each costs ~1.3 ms of pipeline set-up, here under 0.1 ms. Anything
// this decoder does not handle returns null and goes to sharp instead.
import { inflateSync } from 'node:zlib';
import { CoreError } from '../errors.js';

/** 8-bit interleaved pixels: 1 = gray, 2 = gray + alpha, 3 = RGB, 4 = RGBA. */
export interface RawPixels {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  data: Uint8Array;
}

/**
 * Pixels one image may have, in both decoders (sharp is handed it too), so a decompression
 * bomb (a few hundred KB that inflate to gigabytes) is refused from its header. 25 megapixels
 * covers a phone photo; sharp's own default (268M) would let one request take gigabytes.
 */
export const MAX_PIXELS = 25_000_000;

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const SAMPLES_PER_PIXEL: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

function invalid(reason: string): CoreError {
  return new CoreError('invalid_data', `cannot decode PNG: ${reason}`);
}

/**
 * Decoded pixels, or null when the bytes are not a PNG or are a variant left to sharp
 * (interlaced, colour-key transparency). Throws CoreError on a corrupt PNG.
 */
export function decodePng(bytes: Uint8Array): RawPixels | null {
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let width = 0;
  let height = 0;
  let depth = 0;
  let colorType = -1;
  let palette: Uint8Array | undefined;
  let paletteAlpha: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  let pos = 8;
  for (;;) {
    if (pos + 8 > bytes.length) throw invalid('truncated file');
    const length = view.getUint32(pos);
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    const start = pos + 8;
    const data = bytes.subarray(start, start + length);
    if (data.length !== length) throw invalid(`truncated ${type} chunk`);
    pos = start + length + 4; // skip the CRC: zlib's own checksum guards the pixels
    if (type === 'IHDR') {
      if (length < 13) throw invalid('short IHDR');
      width = view.getUint32(start);
      height = view.getUint32(start + 4);
      [depth, colorType] = [data[8], data[9]];
      if (data[12] !== 0) return null; // Adam7 interlacing
    } else if (type === 'PLTE') {
      palette = data;
    } else if (type === 'tRNS') {
      if (colorType !== 3) return null;
      paletteAlpha = data;
    } else if (type === 'IDAT') {
      idat.push(data);
    } else if (type === 'IEND') {
      break;
    }
  }
  const samples = SAMPLES_PER_PIXEL[colorType];
  if (!samples || ![1, 2, 4, 8, 16].includes(depth)) throw invalid(`unsupported colour type ${colorType} / depth ${depth}`);
  if (width === 0 || height === 0) throw invalid('zero size');
  if (width * height > MAX_PIXELS) throw invalid(`${width}x${height} exceeds the pixel limit`);
  if (colorType === 3 && !palette) throw invalid('palette image without PLTE');

  const stride = Math.ceil((width * samples * depth) / 8);
  const expected = height * (stride + 1);
  let raw: Buffer;
  try {
    raw = inflateSync(Buffer.concat(idat), { maxOutputLength: expected });
  } catch (error) {
    throw invalid(`bad image data (${(error as Error).message})`);
  }
  if (raw.length !== expected) throw invalid('image data has the wrong size');
  unfilter(raw, height, stride, Math.max(1, (samples * depth) >> 3));

  const channels = colorType === 3 ? (paletteAlpha ? 4 : 3) : (samples as 1 | 2 | 3 | 4);
  const out = new Uint8Array(width * height * channels);
  const perRow = width * samples;
  const maxValue = (1 << Math.min(depth, 8)) - 1;
  const scale = colorType === 3 ? 1 : 255 / maxValue; // gray at 1/2/4 bits spans 0..255
  let o = 0;
  for (let y = 0; y < height; y++) {
    const row = y * (stride + 1) + 1;
    for (let s = 0; s < perRow; s++) {
      let value: number;
      if (depth === 8) value = raw[row + s];
      else if (depth === 16) value = raw[row + 2 * s]; // keep the high byte
      else {
        const bit = s * depth;
        value = (raw[row + (bit >> 3)] >> (8 - depth - (bit & 7))) & maxValue;
      }
      if (colorType !== 3) {
        out[o++] = value * scale;
        continue;
      }
      if (3 * value + 2 >= palette!.length) throw invalid('palette index out of range');
      out[o++] = palette![3 * value];
      out[o++] = palette![3 * value + 1];
      out[o++] = palette![3 * value + 2];
      if (paletteAlpha) out[o++] = value < paletteAlpha.length ? paletteAlpha[value] : 255;
    }
  }
  return { width, height, channels, data: out };
}

/** Reverses PNG's per-row prediction filters in place (filter byte at the start of each row). */
function unfilter(raw: Uint8Array, height: number, stride: number, bpp: number): void {
  for (let y = 0; y < height; y++) {
    const start = y * (stride + 1) + 1;
    const prev = start - (stride + 1); // previous row's data; only read when y > 0
    const filter = raw[start - 1];
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? raw[start + i - bpp] : 0;
      const b = y > 0 ? raw[prev + i] : 0;
      const c = y > 0 && i >= bpp ? raw[prev + i - bpp] : 0;
      let predictor: number;
      switch (filter) {
        case 0:
          predictor = 0;
          break;
        case 1:
          predictor = a;
          break;
        case 2:
          predictor = b;
          break;
        case 3:
          predictor = (a + b) >> 1;
          break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default:
          throw invalid(`unknown row filter ${filter}`);
      }
      raw[start + i] = (raw[start + i] + predictor) & 0xff;
    }
  }
}
