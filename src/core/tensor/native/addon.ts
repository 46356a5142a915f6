// The compiled native kernels (native/src, built at install by native/build.mjs): loaded once,
// or the reason they cannot be, which the backend choice reports.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Where native/build.mjs put it (FEWSHOT_NATIVE_BUILD_DIR, as for the build, moves both).
const BUILD = process.env.FEWSHOT_NATIVE_BUILD_DIR || fileURLToPath(new URL('../../../../native/build/', import.meta.url));
const ADDON = join(BUILD, 'fewshot-native.node');

/** Int32Array arguments carry shapes and geometry: one argument instead of one per number. */
export interface NativeAddon {
  describe(): { onednn: string; isa: string; threads: number };
  setThreads(threads: number): void;
  /** kind 0 forward (x, filter → y), 1 input gradient (dy, filter → dx), 2 filter gradient (x, dy → dfilter). */
  convolution(kind: 0 | 1 | 2, geometry: Int32Array, a: Float32Array, b: Float32Array, out: Float32Array): void;
  /** dims: batchA, batchB, m, k, n, transposeA, transposeB. */
  matmul(dims: Int32Array, a: Float32Array, b: Float32Array, out: Float32Array): void;
  binary(op: number, a: Float32Array, aShape: Int32Array, b: Float32Array, bShape: Int32Array, out: Float32Array, outShape: Int32Array): void;
  unary(op: number, x: Float32Array, out: Float32Array, alpha: number): void;
  /** op 0 sum, 1 mean, over the middle axis of dims [outer, reduced, inner]. */
  reduce(op: 0 | 1, x: Float32Array, dims: Int32Array, out: Float32Array): void;
  copy(src: Float32Array, srcShape: Int32Array, srcBegin: Int32Array, dst: Float32Array, dstShape: Int32Array, dstBegin: Int32Array, size: Int32Array): void;
  fill(out: Float32Array, value: number): void;
  transpose(x: Float32Array, shape: Int32Array, perm: Int32Array, out: Float32Array): void;
  /** kind 0 max, 1 average; geometry N, H, W, C, OH, OW, KH, KW, SH, SW, padTop, padLeft. */
  pool(kind: 0 | 1, geometry: Int32Array, x: Float32Array, out: Float32Array): void;
  /**
   * 2×2 max-pool windows of x with maxima `pooled` (dims: its [B, H, W, C]): kind 0 spreads g
   * (pooled-sized) over each window's maxima, kind 1 sums g (x-sized) over them.
   */
  windows(kind: 0 | 1, x: Float32Array, pooled: Float32Array, g: Float32Array, out: Float32Array, dims: Int32Array): void;
}

let loaded: NativeAddon | null = null;

/** The addon, or an Error whose message says why it is not available. */
export function loadNativeAddon(): NativeAddon {
  if (loaded) return loaded;
  if (!existsSync(ADDON)) {
    const skipped = join(BUILD, 'skipped.txt');
    const why = existsSync(skipped) ? readFileSync(skipped, 'utf8').trim() : 'it was never built (npm ci runs native/build.mjs; or: npm run build:native)';
    throw new Error(`native kernels not built: ${why}`);
  }
  try {
    loaded = createRequire(import.meta.url)(ADDON) as NativeAddon;
  } catch (error) {
    throw new Error(`native kernels failed to load (${(error as Error).message.split('\n')[0]}); rebuild them with npm run build:native`);
  }
  return loaded;
}
