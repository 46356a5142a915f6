import type { AdaptedTask } from '../api.js';
import type { Episode } from '../data/types.js';

/** Adapts with `solve` on the episode's support set and scores its queries; disposes the task. */
export async function episodeAccuracy(episode: Episode, solve: (episode: Episode) => AdaptedTask): Promise<number> {
  const task = solve(episode);
  try {
    const probabilities = await task.predict(episode.query);
    let correct = 0;
    episode.queryLabels.forEach((label, row) => {
      let best = 0;
      for (let k = 1; k < task.ways; k++) {
        if (probabilities[row * task.ways + k] > probabilities[row * task.ways + best]) best = k;
      }
      correct += best === label ? 1 : 0;
    });
    return correct / episode.queryLabels.length;
  } finally {
    task.dispose();
  }
}
