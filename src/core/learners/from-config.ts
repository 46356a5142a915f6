import type { TrainConfig } from '../config.js';
import type { InputSpec } from '../data/types.js';
import { buildNetwork } from '../models/network.js';
import { createLearner, headWidth } from './index.js';
import type { MetaLearner } from './learner.js';

/** The network and meta-learner a run's configuration describes (training, serving, eval). */
export function learnerFor(spec: InputSpec, config: TrainConfig): MetaLearner {
  const network = buildNetwork(spec, config.model, headWidth(config.algorithm, config.episode.ways));
  return createLearner(config.algorithm, network, config.inner);
}
