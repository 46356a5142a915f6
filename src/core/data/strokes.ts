// Pen strokes as a modality: a drawing is a list of strokes, each a list of [x, y] or [x, y, t]
// points (x right, y down, as on a canvas or in an image; any unit; t is accepted and unused).
// Every drawing becomes the same fixed-length sequence, so a 1-D convolutional encoder can read
// it: points resampled evenly along the ink, centred and scaled to fit [-1, 1] with the aspect
// ratio kept, each tagged with whether it starts a stroke (the pen came down there).
import type { Rotation } from './types.js';

/** Numbers per resampled point: x, y, stroke start (1 or 0). */
export const STROKE_CHANNELS = 3;
export const DEFAULT_STROKE_POINTS = 64;
/** Resampled points a spec may ask for; the encoder pools three times, so at least 8. */
export const STROKE_POINTS_RANGE = { min: 8, max: 1024 } as const;
/** Pen points one example may carry, over all its strokes. */
export const MAX_PEN_POINTS = 10_000;

export type Strokes = readonly (readonly (readonly number[])[])[];

/** Why `value` is not a usable drawing, or null when it is. */
export function strokesProblem(value: unknown): string | null {
  if (!Array.isArray(value)) return 'strokes must be an array of strokes';
  if (value.length === 0) return 'strokes is empty';
  let total = 0;
  for (let s = 0; s < value.length; s++) {
    const stroke: unknown = value[s];
    if (!Array.isArray(stroke)) return `stroke ${s} is not an array of points`;
    if (stroke.length === 0) return `stroke ${s} has no points`;
    total += stroke.length;
    if (total > MAX_PEN_POINTS) return `strokes have more than ${MAX_PEN_POINTS} points`;
    for (let p = 0; p < stroke.length; p++) {
      const point: unknown = stroke[p];
      if (!Array.isArray(point) || (point.length !== 2 && point.length !== 3)) return `stroke ${s} point ${p} must be [x, y] or [x, y, t]`;
      if (!point.every((v) => typeof v === 'number' && Number.isFinite(v))) return `stroke ${s} point ${p} has a value that is not a finite number`;
    }
  }
  return null;
}

/**
 * How many of `total` samples each stroke gets: in proportion to its length, by largest
 * remainder, with at least one per stroke while there are enough samples (a dot is ink too).
 */
function allocate(lengths: readonly number[], total: number): number[] {
  const floor = lengths.length <= total ? 1 : 0;
  const spare = total - floor * lengths.length;
  const sum = lengths.reduce((a, b) => a + b, 0);
  // All dots: share by count instead of by (zero) length.
  const shares = lengths.map((length) => (sum > 0 ? (length / sum) * spare : spare / lengths.length));
  const counts = shares.map((share) => floor + Math.floor(share));
  const order = shares.map((_, i) => i).sort((a, b) => shares[b] - Math.floor(shares[b]) - (shares[a] - Math.floor(shares[a])) || a - b);
  for (let i = 0, left = total - counts.reduce((a, b) => a + b, 0); i < left; i++) counts[order[i]] += 1;
  return counts;
}

/** `count` points evenly spaced along a polyline, both ends included (one point: its start). */
function resample(stroke: readonly (readonly number[])[], count: number, write: (x: number, y: number, first: boolean) => void): void {
  const cumulative = [0];
  for (let i = 1; i < stroke.length; i++) {
    cumulative.push(cumulative[i - 1] + Math.hypot(stroke[i][0] - stroke[i - 1][0], stroke[i][1] - stroke[i - 1][1]));
  }
  const length = cumulative[cumulative.length - 1];
  let segment = 0;
  for (let k = 0; k < count; k++) {
    const at = count === 1 ? 0 : (length * k) / (count - 1);
    while (segment < stroke.length - 2 && cumulative[segment + 1] < at) segment++;
    const next = Math.min(segment + 1, stroke.length - 1);
    const span = cumulative[next] - cumulative[segment];
    const t = span > 0 ? (at - cumulative[segment]) / span : 0;
    const [x0, y0] = stroke[segment];
    const [x1, y1] = stroke[next];
    write(x0 + t * (x1 - x0), y0 + t * (y1 - y0), k === 0);
  }
}

/** Writes `points` × STROKE_CHANNELS numbers for a valid drawing (see strokesProblem) into `out`. */
export function writeStrokes(strokes: Strokes, points: number, out: Float32Array): void {
  out.fill(0);
  const lengths = strokes.map((stroke) => stroke.slice(1).reduce((sum, p, i) => sum + Math.hypot(p[0] - stroke[i][0], p[1] - stroke[i][1]), 0));
  let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const stroke of strokes) {
    for (const [x, y] of stroke) {
      [minX, minY, maxX, maxY] = [Math.min(minX, x), Math.min(minY, y), Math.max(maxX, x), Math.max(maxY, y)];
    }
  }
  const [cx, cy] = [(minX + maxX) / 2, (minY + maxY) / 2];
  const half = Math.max(maxX - minX, maxY - minY) / 2;
  const scale = half > 0 ? 1 / half : 1;
  let k = 0;
  allocate(lengths, points).forEach((count, s) => {
    resample(strokes[s], count, (x, y, first) => {
      out[k * STROKE_CHANNELS] = (x - cx) * scale;
      out[k * STROKE_CHANNELS + 1] = (y - cy) * scale;
      out[k * STROKE_CHANNELS + 2] = first ? 1 : 0;
      k++;
    });
  });
}

/**
 * Copies one resampled drawing turned `turns` quarter turns counter-clockwise, the way
 * rotateImage turns the drawing's image: with y pointing down, (x, y) -> (y, -x) per turn.
 * Drawings are centred on the origin, so they stay inside [-1, 1].
 */
export function rotateStrokes(src: Float32Array, srcOffset: number, dst: Float32Array, dstOffset: number, points: number, turns: Rotation): void {
  for (let k = 0; k < points; k++) {
    let x = src[srcOffset + k * STROKE_CHANNELS];
    let y = src[srcOffset + k * STROKE_CHANNELS + 1];
    for (let t = 0; t < turns; t++) [x, y] = [y, -x];
    dst[dstOffset + k * STROKE_CHANNELS] = x;
    dst[dstOffset + k * STROKE_CHANNELS + 1] = y;
    dst[dstOffset + k * STROKE_CHANNELS + 2] = src[srcOffset + k * STROKE_CHANNELS + 2];
  }
}
