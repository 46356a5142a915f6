// Truncated SVD of a large sparse matrix by randomised subspace iteration (Halko, Martinsson &
// Tropp, "Finding structure with randomness", SIAM Review 2011: Algorithms 4.4 and 5.1), for the
// TF-IDF document-term matrix. Only the top right singular vectors are wanted (the term-space
// basis documents are projected on), so the iteration runs on the term side, whose n × l blocks
// are the smaller ones, and the sparse products are the only place the matrix is touched.
//
// Dense linear algebra splits by size. The small l × l symmetric eigenproblems go to ml-matrix.
// The tall n × l and m × l steps are written here on flat Float64Arrays: ml-matrix's Householder
// QR of HuffPost's 18,000 × 266 block took 31 s and its SVD of the 266 × 10,203 projection 13 s,
// against about a second each for the Gram-matrix route below (bench/README.md has the figures).
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import type { Random } from '../../random.js';

/** Compressed sparse rows: row i holds (cols[k], values[k]) for k in [rowStart[i], rowStart[i + 1]). */
export interface SparseRows {
  readonly rows: number;
  readonly cols: number;
  readonly rowStart: Int32Array;
  readonly colIndex: Int32Array;
  readonly values: Float64Array;
}

export interface SvdOptions {
  /** Extra random directions beyond `rank` (Halko et al.'s p; 10 is their usual choice). */
  oversampling?: number;
  /** Subspace (power) iterations; more sharpen a slowly decaying spectrum. */
  iterations?: number;
}

export interface TruncatedSvd {
  /** cols × rank, row-major: column j is the j-th right singular vector (zero beyond the matrix's rank). */
  readonly basis: Float64Array;
  /** Descending; zero beyond the matrix's rank. */
  readonly singularValues: Float64Array;
}

/** A dense row-major block of `rows` × `width`. */
interface Block {
  rows: number;
  width: number;
  data: Float64Array;
}

/** A·X: (m × n sparse)(n × w) -> m × w. */
function times(a: SparseRows, x: Block): Block {
  const { width } = x;
  const out = new Float64Array(a.rows * width);
  for (let i = 0; i < a.rows; i++) {
    const o = i * width;
    for (let k = a.rowStart[i]; k < a.rowStart[i + 1]; k++) {
      const v = a.values[k];
      const from = a.colIndex[k] * width;
      for (let j = 0; j < width; j++) out[o + j] += v * x.data[from + j];
    }
  }
  return { rows: a.rows, width, data: out };
}

/** Aᵀ·Z: (m × n sparse)ᵀ(m × w) -> n × w. */
function transposeTimes(a: SparseRows, z: Block): Block {
  const { width } = z;
  const out = new Float64Array(a.cols * width);
  for (let i = 0; i < a.rows; i++) {
    const from = i * width;
    for (let k = a.rowStart[i]; k < a.rowStart[i + 1]; k++) {
      const v = a.values[k];
      const o = a.colIndex[k] * width;
      for (let j = 0; j < width; j++) out[o + j] += v * z.data[from + j];
    }
  }
  return { rows: a.cols, width, data: out };
}

// The dense kernels below work four rows at a time: V8 keeps the four scalars in registers and
// reads each output element once per four products, which halves their time on these cores.

/** XᵀY for blocks of equal height and width, only entries b >= a when `upper` (XᵀX is symmetric). */
function products(x: Block, y: Block, upper: boolean): Float64Array {
  const { width, rows } = x;
  const xs = x.data;
  const ys = y.data;
  const g = new Float64Array(width * width);
  let r = 0;
  for (; r + 3 < rows; r += 4) {
    const [o0, o1, o2, o3] = [r * width, (r + 1) * width, (r + 2) * width, (r + 3) * width];
    for (let a = 0; a < width; a++) {
      const x0 = xs[o0 + a];
      const x1 = xs[o1 + a];
      const x2 = xs[o2 + a];
      const x3 = xs[o3 + a];
      if (x0 === 0 && x1 === 0 && x2 === 0 && x3 === 0) continue;
      const go = a * width;
      for (let b = upper ? a : 0; b < width; b++) g[go + b] += x0 * ys[o0 + b] + x1 * ys[o1 + b] + x2 * ys[o2 + b] + x3 * ys[o3 + b];
    }
  }
  for (; r < rows; r++) {
    const o = r * width;
    for (let a = 0; a < width; a++) {
      const xa = xs[o + a];
      const go = a * width;
      for (let b = upper ? a : 0; b < width; b++) g[go + b] += xa * ys[o + b];
    }
  }
  return g;
}

/** XᵀX. */
function gram(x: Block): Matrix {
  const { width } = x;
  const g = products(x, x, true);
  for (let a = 0; a < width; a++) for (let b = 0; b < a; b++) g[a * width + b] = g[b * width + a];
  return Matrix.from1DArray(width, width, g);
}

/** XᵀY, known to be symmetric: averaging with its transpose removes the rounding asymmetry. */
function symmetricProducts(x: Block, y: Block): Matrix {
  const { width } = x;
  const g = products(x, y, false);
  const mean = g.map((v, i) => (v + g[(i % width) * width + Math.floor(i / width)]) / 2);
  return Matrix.from1DArray(width, width, mean);
}

/** X·M for a block X and a small dense matrix M. */
function timesSmall(x: Block, m: Matrix): Block {
  const width = m.columns;
  const inner = x.width;
  const ms = Float64Array.from(m.to1DArray());
  const xs = x.data;
  const out = new Float64Array(x.rows * width);
  for (let r = 0; r < x.rows; r++) {
    const xo = r * inner;
    const o = r * width;
    let a = 0;
    for (; a + 3 < inner; a += 4) {
      const [x0, x1, x2, x3] = [xs[xo + a], xs[xo + a + 1], xs[xo + a + 2], xs[xo + a + 3]];
      const [m0, m1, m2, m3] = [a * width, (a + 1) * width, (a + 2) * width, (a + 3) * width];
      for (let b = 0; b < width; b++) out[o + b] += x0 * ms[m0 + b] + x1 * ms[m1 + b] + x2 * ms[m2 + b] + x3 * ms[m3 + b];
    }
    for (; a < inner; a++) {
      const xa = xs[xo + a];
      const mo = a * width;
      for (let b = 0; b < width; b++) out[o + b] += xa * ms[mo + b];
    }
  }
  return { rows: x.rows, width, data: out };
}

/** Eigenpairs of a symmetric matrix, largest eigenvalue first. */
function symmetricEigen(g: Matrix): { values: number[]; vectors: Matrix } {
  const evd = new EigenvalueDecomposition(g, { assumeSymmetric: true });
  const order = evd.realEigenvalues.map((_, i) => i).sort((a, b) => evd.realEigenvalues[b] - evd.realEigenvalues[a]);
  return {
    values: order.map((i) => evd.realEigenvalues[i]),
    vectors: evd.eigenvectorMatrix.subMatrixColumn(order),
  };
}

// Directions whose squared length is below this fraction of the largest are numerically in the
// span of the others (or zero: the matrix has lower rank than asked) and are dropped.
const RANK_TOLERANCE = 1e-12;

/**
 * An orthonormal basis of the span of Y's columns: Y·U·Λ^(-1/2) from the eigenpairs of YᵀY.
 * Squaring the condition number is harmless here: every block it sees was just multiplied by
 * AᵀA from an orthonormal one, and the final Rayleigh-Ritz step works from the basis, not Y.
 */
function orthonormalise(y: Block): Block {
  const { values, vectors } = symmetricEigen(gram(y));
  const keep = values.flatMap((v, i) => (v > RANK_TOLERANCE * Math.max(values[0], 0) && v > 0 ? [i] : []));
  const scaled = new Matrix(y.width, keep.length);
  keep.forEach((col, j) => {
    const s = 1 / Math.sqrt(values[col]);
    for (let i = 0; i < y.width; i++) scaled.set(i, j, vectors.get(i, col) * s);
  });
  return timesSmall(y, scaled);
}

/** The top `rank` right singular vectors and values of `a`. */
export function truncatedSvd(a: SparseRows, rank: number, rng: Random, opts: SvdOptions = {}): TruncatedSvd {
  const zeros = { basis: new Float64Array(a.cols * rank), singularValues: new Float64Array(rank) };
  const width = Math.min(rank + (opts.oversampling ?? 10), a.rows, a.cols);
  if (width === 0) return zeros;
  const omega: Block = { rows: a.rows, width, data: Float64Array.from({ length: a.rows * width }, () => rng.normal()) };
  let q = orthonormalise(transposeTimes(a, omega));
  for (let i = 0; i < (opts.iterations ?? 2) && q.width > 0; i++) q = orthonormalise(transposeTimes(a, times(a, q)));
  if (q.width === 0) return zeros; // an all-zero matrix

  // Rayleigh-Ritz: the eigenpairs of Qᵀ(AᵀA)Q rotate Q onto the singular directions. Formed on
  // the term side (n × l), not as (AQ)ᵀ(AQ), whose m × l block is the larger one here.
  const { values, vectors } = symmetricEigen(symmetricProducts(q, transposeTimes(a, times(a, q))));
  const kept = Math.min(rank, q.width);
  const v = timesSmall(q, vectors.subMatrix(0, q.width - 1, 0, kept - 1));
  const { basis, singularValues } = zeros;
  for (let r = 0; r < a.cols; r++) for (let j = 0; j < kept; j++) basis[r * rank + j] = v.data[r * v.width + j];
  for (let j = 0; j < kept; j++) singularValues[j] = Math.sqrt(Math.max(values[j], 0));
  return { basis, singularValues };
}
