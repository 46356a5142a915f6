// Quarter-turn rotation of square images, done while gathering episode rows so rotated
// classes (the Omniglot augmentation) cost no extra memory.
import { CoreError } from '../errors.js';
import type { InputSpec, Rotation } from '../data/types.js';

/** Rotation needs square images (a turned 28x32 image would not fit the 28x32 spec) or strokes. */
export function assertRotatable(spec: InputSpec): void {
  if (spec.image ? spec.image.height !== spec.image.width : !spec.strokes) {
    throw new CoreError('invalid_data', 'rotated classes need square images or strokes');
  }
}

/**
 * Copies the size x size x channels image at src[srcOffset] to dst[dstOffset], turned
 * `turns` quarter turns counter-clockwise (numpy's rot90): pixel (r, c) lands at
 * (size-1-c, r) for one turn.
 */
export function rotateImage(
  src: Float32Array,
  srcOffset: number,
  dst: Float32Array,
  dstOffset: number,
  size: number,
  channels: number,
  turns: Rotation,
): void {
  const length = size * size * channels;
  if (turns === 0) {
    dst.set(src.subarray(srcOffset, srcOffset + length), dstOffset);
    return;
  }
  const last = size - 1;
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      const tr = turns === 1 ? last - c : turns === 2 ? last - r : c;
      const tc = turns === 1 ? r : turns === 2 ? last - c : last - r;
      const from = srcOffset + (r * size + c) * channels;
      const to = dstOffset + (tr * size + tc) * channels;
      for (let ch = 0; ch < channels; ch++) dst[to + ch] = src[from + ch];
    }
  }
}
