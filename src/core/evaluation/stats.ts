import type { Accuracy } from '../types.js';

/** Mean and the half-width of its 95% confidence interval (normal approximation, as in the
 *  few-shot literature's "accuracy ± CI over 600 episodes"). */
export function meanWithCi(values: readonly number[]): Accuracy {
  const n = values.length;
  if (n === 0) return { mean: 0, ci95: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, ci95: 0 };
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { mean, ci95: (1.96 * Math.sqrt(variance)) / Math.sqrt(n) };
}
