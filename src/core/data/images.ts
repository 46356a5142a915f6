// Image bytes -> the float layout of an InputSpec. Only decoding may go to sharp; colour
// conversion and resizing are done here for every format, so a PNG decoded by the fast
// path and a JPEG decoded by sharp are treated identically.
import { LRUCache } from 'lru-cache';
import sharp from 'sharp';
import { CoreError } from '../errors.js';
import { decodePng, MAX_PIXELS, type RawPixels } from './png.js';
import type { ImageSpec, ResizeFilter } from './types.js';

const DATA_URL = /^data:[^,]*;base64,/i;
const BASE64 = /^[A-Za-z0-9+/_=\s-]+$/;

/** Image bytes from a Buffer, a base64 string or a base64 data URL. */
export function imageBytes(input: Buffer | Uint8Array | string): Uint8Array {
  if (typeof input !== 'string') return input;
  const match = DATA_URL.exec(input);
  if (input.startsWith('data:') && !match) throw new CoreError('invalid_data', 'image data URL must be base64-encoded');
  const payload = match ? input.slice(match[0].length) : input;
  if (!BASE64.test(payload)) throw new CoreError('invalid_data', 'image string is neither base64 nor a data URL');
  return Buffer.from(payload, 'base64');
}

export async function decodePixels(bytes: Uint8Array): Promise<RawPixels> {
  if (bytes.length === 0) throw new CoreError('invalid_data', 'image is empty');
  const png = decodePng(bytes);
  if (png) return png;
  try {
    const { data, info } = await sharp(bytes, { autoOrient: true, limitInputPixels: MAX_PIXELS })
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, channels: info.channels, data };
  } catch (error) {
    throw new CoreError('invalid_data', `cannot decode image: ${(error as Error).message}`);
  }
}

/** Filter new datasets are resized with when none is asked for. */
export const DEFAULT_RESIZE: ResizeFilter = 'bilinear';

export interface ImageSpecOptions {
  /** Square side images are resized to (default 28). */
  imageSize?: number;
  /** 1 = grayscale (default), 3 = RGB. */
  channels?: 1 | 3;
  /** Store 1 - intensity; see InputSpec. */
  invert?: boolean;
  /** Resampling filter (default DEFAULT_RESIZE). */
  resize?: ResizeFilter;
}

/**
 * The image spec new datasets record. 'bilinear' is left implicit, so specs (and the cache keys
 * and checkpoints holding them) of bilinear datasets stay byte-identical to those made before
 * the field existed.
 */
export function imageSpec(opts: ImageSpecOptions): ImageSpec {
  const size = opts.imageSize ?? 28;
  const resize = opts.resize ?? DEFAULT_RESIZE;
  return {
    height: size,
    width: size,
    channels: opts.channels ?? 1,
    ...(opts.invert ? { invert: true } : {}),
    ...(resize !== 'bilinear' ? { resize } : {}),
  };
}

/** Decodes and resizes one image to `spec` (stretched to fill, so nothing is cropped). */
export async function decodeImage(input: Buffer | Uint8Array | string, spec: ImageSpec): Promise<Float32Array> {
  return pixelsToSpec(await decodePixels(imageBytes(input)), spec);
}

export function pixelsToSpec(pixels: RawPixels, spec: ImageSpec): Float32Array {
  const floats = toChannels(pixels, spec.channels);
  const out = resize(floats, pixels.height, pixels.width, spec.height, spec.width, spec.channels, spec.resize ?? 'bilinear');
  if (spec.invert) for (let i = 0; i < out.length; i++) out[i] = 1 - out[i];
  return out;
}

/**
 * [0, 1] floats with `channels` (1 or 3) per pixel. Transparent pixels are laid over
 * white, as a viewer shows them; gray uses Rec. 601 luma (PIL's 'L').
 */
function toChannels(pixels: RawPixels, channels: number): Float32Array {
  const { data, channels: inChannels } = pixels;
  const count = pixels.width * pixels.height;
  const out = new Float32Array(count * channels);
  const hasAlpha = inChannels === 2 || inChannels === 4;
  const color = inChannels >= 3;
  for (let p = 0; p < count; p++) {
    const i = p * inChannels;
    const alpha = hasAlpha ? data[i + inChannels - 1] / 255 : 1;
    const white = 1 - alpha;
    const r = (data[i] * alpha) / 255 + white;
    const g = color ? (data[i + 1] * alpha) / 255 + white : r;
    const b = color ? (data[i + 2] * alpha) / 255 + white : r;
    if (channels === 1) {
      out[p] = color ? 0.299 * r + 0.587 * g + 0.114 * b : r;
    } else {
      out[p * 3] = r;
      out[p * 3 + 1] = g;
      out[p * 3 + 2] = b;
    }
  }
  return out;
}

/** Per output index: first input index, tap count and normalised weights (max taps per index). */
interface Taps {
  first: Int32Array;
  count: Int32Array;
  weights: Float32Array;
  stride: number;
}

/** A resampling kernel: its support (half-width at scale 1) and its weight at distance x. */
interface Kernel {
  support: number;
  weight(x: number): number;
  /** Whether weights can be negative, so results can leave [0, 1] and are clipped (as PIL's uint8 output is). */
  rings: boolean;
}

const sinc = (x: number) => (x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x));

/**
 * Triangle: PIL's BILINEAR. Lanczos-3: PIL's LANCZOS, which the reference implementation and
 * most published Omniglot pipelines shrink 105 -> 28 with; its sharper passband keeps thin
 * strokes crisper than the triangle's blur.
 */
const KERNELS: Record<ResizeFilter, Kernel> = {
  bilinear: { support: 1, weight: (x) => Math.max(0, 1 - Math.abs(x)), rings: false },
  lanczos: { support: 3, weight: (x) => (Math.abs(x) < 3 ? sinc(x) * sinc(x / 3) : 0), rings: true },
};

// Bounded: uploads come in any size, and a long-running server must not keep taps for each.
const tapCache = new LRUCache<string, Taps>({ max: 64 });

/**
 * Kernel weights widened by the scale factor when shrinking (PIL's antialiased resize): the
 * kernel itself when enlarging, a low-pass over every input pixel when shrinking, so thin
 * Omniglot strokes do not vanish between sample points at 105 -> 28.
 */
export function taps(inSize: number, outSize: number, filter: ResizeFilter): Taps {
  const key = `${filter}:${inSize}:${outSize}`;
  const cached = tapCache.get(key);
  if (cached) return cached;
  const kernel = KERNELS[filter];
  const scale = inSize / outSize;
  const widen = Math.max(scale, 1);
  const radius = kernel.support * widen;
  const stride = Math.ceil(radius) * 2 + 1;
  const result: Taps = {
    first: new Int32Array(outSize),
    count: new Int32Array(outSize),
    weights: new Float32Array(outSize * stride),
    stride,
  };
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    const lo = Math.max(0, Math.floor(center - radius));
    const hi = Math.min(inSize, Math.ceil(center + radius));
    let total = 0;
    for (let x = lo; x < hi; x++) {
      const w = kernel.weight((x + 0.5 - center) / widen);
      result.weights[o * stride + x - lo] = w;
      total += w;
    }
    for (let k = 0; k < hi - lo; k++) result.weights[o * stride + k] /= total;
    result.first[o] = lo;
    result.count[o] = hi - lo;
  }
  tapCache.set(key, result);
  return result;
}

/** Separable resampling of an interleaved h x w x c image: along rows, then along columns. */
export function resize(
  src: Float32Array,
  inH: number,
  inW: number,
  outH: number,
  outW: number,
  c: number,
  filter: ResizeFilter,
): Float32Array {
  if (inH === outH && inW === outW) return src;
  const mid = new Float32Array(inH * outW * c);
  resample(src, mid, taps(inW, outW, filter), { outer: inH, inner: c, inOuter: inW * c, outOuter: outW * c, step: c, outStep: c });
  const out = new Float32Array(outH * outW * c);
  const line = outW * c;
  resample(mid, out, taps(inH, outH, filter), { outer: 1, inner: line, inOuter: 0, outOuter: 0, step: line, outStep: line });
  if (KERNELS[filter].rings) for (let i = 0; i < out.length; i++) out[i] = Math.min(1, Math.max(0, out[i]));
  return out;
}

/**
 * One pass: every line (outer, inner) is resampled with the same taps. Input element k
 * of a line is at outer * inOuter + inner + k * step; output element o at
 * outer * outOuter + inner + o * outStep.
 */
function resample(
  src: Float32Array,
  dst: Float32Array,
  t: Taps,
  g: { outer: number; inner: number; inOuter: number; outOuter: number; step: number; outStep: number },
): void {
  const { first, count, weights, stride } = t;
  const outSize = first.length;
  for (let outer = 0; outer < g.outer; outer++) {
    for (let inner = 0; inner < g.inner; inner++) {
      const inBase = outer * g.inOuter + inner;
      const outBase = outer * g.outOuter + inner;
      for (let o = 0; o < outSize; o++) {
        const w = o * stride;
        const n = count[o];
        let at = inBase + first[o] * g.step;
        let sum = 0;
        for (let k = 0; k < n; k++, at += g.step) sum += weights[w + k] * src[at];
        dst[outBase + o * g.outStep] = sum;
      }
    }
  }
}
