import type { AdaptedTask } from '../types.js';
import type { Episode } from '../data/types.js';
import { accuracyOf } from '../learners/task.js';

/** The most probable class of each row of row-major `probabilities` (n * ways); the first on a tie. */
export function predictedClasses(probabilities: ArrayLike<number>, ways: number): Int32Array {
  return Int32Array.from({ length: Math.floor(probabilities.length / ways) }, (_, row) => {
    let best = 0;
    for (let k = 1; k < ways; k++) if (probabilities[row * ways + k] > probabilities[row * ways + best]) best = k;
    return best;
  });
}

/** Adapts with `solve` on the episode's support set and scores its queries; disposes the task. */
export async function episodeAccuracy(episode: Episode, solve: (episode: Episode) => AdaptedTask): Promise<number> {
  const task = solve(episode);
  try {
    return accuracyOf(predictedClasses(await task.predict(episode.query), task.ways), episode.queryLabels);
  } finally {
    task.dispose();
  }
}
