// A baseline without a network: nearest class mean of the input features themselves (Euclidean,
// on the L2-normalised text features), on the very test episodes a run's evaluation draws.
import type { Accuracy, ClassView, TrainConfig } from '../src/core/index.js';
import type { ClassDataset, FeatureRows } from '../src/core/data/types.js';
import { EpisodeSampler } from '../src/core/episodes/sampler.js';
import { meanWithCi } from '../src/core/evaluation/stats.js';
import { Random } from '../src/core/random.js';
import { streamSeed } from '../src/core/training/streams.js';

function rowsOf(rows: FeatureRows): { data: Float32Array; width: number } {
  return { data: rows.text!, width: rows.spec.text!.features };
}

export function featurePrototypeAccuracy(dataset: ClassDataset, test: readonly ClassView[], config: TrainConfig): Accuracy {
  const ways = Math.min(config.episode.ways, test.length);
  const sampler = new EpisodeSampler(dataset, test, { ...config.episode, ways }, new Random(streamSeed(config.seed, 'test')));
  const scores: number[] = [];
  for (let e = 0; e < config.evaluation.episodes; e++) {
    const episode = sampler.next();
    const support = rowsOf(episode.support);
    const { width } = support;
    const means = new Float32Array(ways * width);
    const counts = new Array<number>(ways).fill(0);
    episode.supportLabels.forEach((label, row) => {
      counts[label]++;
      for (let j = 0; j < width; j++) means[label * width + j] += support.data[row * width + j];
    });
    means.forEach((_, i) => (means[i] /= counts[Math.floor(i / width)]));
    const query = rowsOf(episode.query);
    let correct = 0;
    episode.queryLabels.forEach((label, row) => {
      let best = -1;
      let bestDistance = Infinity;
      for (let k = 0; k < ways; k++) {
        let distance = 0;
        for (let j = 0; j < width; j++) distance += (query.data[row * width + j] - means[k * width + j]) ** 2;
        if (distance < bestDistance) [best, bestDistance] = [k, distance];
      }
      correct += best === label ? 1 : 0;
    });
    scores.push(correct / episode.queryLabels.length);
  }
  return meanWithCi(scores);
}
