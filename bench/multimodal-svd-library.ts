// The randomised SVD of randomized-svd.ts with ml-matrix doing every dense step (Householder QR
// for the orthonormalisations, its SVD for the final projection): the library route, kept here
// only to be timed against ours in bench:multimodal's fit part.
import { Matrix, QrDecomposition, SingularValueDecomposition } from 'ml-matrix';
import type { SparseRows, TruncatedSvd } from '../src/core/data/text/randomized-svd.js';
import type { Random } from '../src/core/random.js';

/** Aᵀ·Z for a sparse A (m × n) and a dense Z (m × w). */
function transposeTimes(a: SparseRows, z: Matrix): Matrix {
  const out = new Matrix(a.cols, z.columns);
  for (let i = 0; i < a.rows; i++) {
    for (let k = a.rowStart[i]; k < a.rowStart[i + 1]; k++) {
      const j = a.colIndex[k];
      for (let c = 0; c < z.columns; c++) out.set(j, c, out.get(j, c) + a.values[k] * z.get(i, c));
    }
  }
  return out;
}

/** A·X for a sparse A (m × n) and a dense X (n × w). */
function times(a: SparseRows, x: Matrix): Matrix {
  const out = new Matrix(a.rows, x.columns);
  for (let i = 0; i < a.rows; i++) {
    for (let k = a.rowStart[i]; k < a.rowStart[i + 1]; k++) {
      const j = a.colIndex[k];
      for (let c = 0; c < x.columns; c++) out.set(i, c, out.get(i, c) + a.values[k] * x.get(j, c));
    }
  }
  return out;
}

export function libraryTruncatedSvd(a: SparseRows, rank: number, rng: Random, iterations = 2): TruncatedSvd {
  const width = Math.min(rank + 10, a.rows, a.cols);
  const omega = Matrix.rand(a.rows, width, { random: () => rng.normal() });
  const orth = (y: Matrix) => new QrDecomposition(y).orthogonalMatrix;
  let q = orth(transposeTimes(a, omega));
  for (let i = 0; i < iterations; i++) q = orth(transposeTimes(a, times(a, q)));
  // AQ = UΣVᵀ, so the right singular vectors of A ≈ AQQᵀ are QV.
  const svd = new SingularValueDecomposition(times(a, q), { computeLeftSingularVectors: false, autoTranspose: true });
  const singularValues = new Float64Array(rank);
  svd.diagonal.slice(0, rank).forEach((s, j) => (singularValues[j] = s));
  const basis = q.mmul(svd.rightSingularVectors).subMatrix(0, a.cols - 1, 0, rank - 1);
  return { basis: Float64Array.from(basis.to1DArray()), singularValues };
}
