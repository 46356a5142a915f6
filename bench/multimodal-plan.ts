// What bench:multimodal runs, and how long each run may train. Budgets are sized so that the
// whole benchmark takes well under an hour on the 2-core machine (bench/README.md has the
// per-part timings they were chosen from); every accuracy is over 600 test episodes.
import { join } from 'node:path';
import { SHARED_DATASETS } from '../scripts/lib/shared.js';
import type { Algorithm, TextFeatureKind } from '../src/core/index.js';

export const HUFFPOST_DIR = join(SHARED_DATASETS, 'huffpost');
/** The small background sets are the ones the publisher ships with pen strokes. */
export const OMNIGLOT_STROKE_SETS = [1, 2].map((k) => join(SHARED_DATASETS, 'omniglot', `images_background_small${k}.zip`));

export const TEST_EPISODES = 600;

export interface HuffPostConfig {
  algo: Extract<Algorithm, 'protonet' | 'maml'>;
  shots: number;
  features: TextFeatureKind;
  iterations: number;
  metaBatch: number;
  /** Scratch and pre-trained baselines; they depend on the features and shots only, so one learner per pair scores them. */
  baselines: boolean;
  testEpisodes: number;
}

// ProtoNets update on one episode at a time (as Snell et al.); MAML on meta-batches of 4, second
// order, one inner step at 0.4, the engine's defaults. Both get the same number of training
// tasks, 2,000 (about the 1-2k episodes Bao et al. train for with early stopping).
const TASKS = 2000;
const LEARNERS = [
  { algo: 'protonet', metaBatch: 1 },
  { algo: 'maml', metaBatch: 4 },
] as const;

export const HUFFPOST_CONFIGS: readonly HuffPostConfig[] = [1, 5].flatMap((shots) =>
  (['hashing', 'tfidf-svd'] as const).flatMap((features) =>
    LEARNERS.map(({ algo, metaBatch }) => ({
      algo,
      shots,
      features,
      iterations: TASKS / metaBatch,
      metaBatch,
      baselines: algo === 'protonet',
      testEpisodes: TEST_EPISODES,
    })),
  ),
);

export type OmniglotInputs = 'image' | 'strokes' | 'image + strokes';

export interface OmniglotConfig {
  shots: number;
  inputs: OmniglotInputs;
  iterations: number;
  testEpisodes: number;
}

/** ProtoNets, one episode per update; the fused model is also tested with each modality removed. */
export const OMNIGLOT_CONFIGS: readonly OmniglotConfig[] = [1, 5].flatMap((shots) =>
  (['image', 'strokes', 'image + strokes'] as const).map((inputs) => ({ shots, inputs, iterations: 300, testEpisodes: TEST_EPISODES })),
);

/** `--quick`: every cell end to end, far too short to mean anything. */
export const QUICK = { iterations: 4, testEpisodes: 10 } as const;

/**
 * For scale: Bao, Wu, Chang & Barzilay, "Few-shot Text Classification with Distributional
 * Signatures", ICLR 2020, Table 1, HuffPost columns (5-way, 1,000 test episodes, fastText word
 * embeddings, the class split HUFFPOST_SPLIT uses). Not verified: the table could not be
 * retrieved with the tools this was written with, and the figure is recalled as later papers cite
 * it for their model. Check it against the paper before quoting it.
 */
export const BAO_ET_AL: readonly { method: string; oneShot: number; fiveShot: number }[] = [
  { method: 'distributional signatures + ridge regression (unverified)', oneShot: 43.0, fiveShot: 63.5 },
];
