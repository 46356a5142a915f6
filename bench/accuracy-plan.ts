import { join } from 'node:path';
import { SHARED_DATASETS } from '../scripts/lib/shared.js';
// The Omniglot accuracy comparison: which runs, and how long each may train. Both
// implementations get the same iterations, meta-batch, inner steps/lr, meta lr and test
// episodes. The counts are sized so that the whole comparison (4 configurations × 2
// implementations, each with data loading and its test episodes) takes about 20 minutes on the
// 2-core machine; bench/README.md has the per-task timings they were chosen from. A 20-way
// episode (320 images) costs ours ~2.6 s to train on and ~0.47 s to test, so 20-way runs test
// on 100 episodes instead of 600 (300 queries each keep the CI near ±1.2%); --test-episodes
// overrides.
// maml, metasgd and anil: ours alone, in the algorithms part (bench/algorithms.ts).
export type AccuracyAlgorithm = 'protonet' | 'fomaml' | 'maml' | 'metasgd' | 'anil';

export interface AccuracyConfig {
  algo: AccuracyAlgorithm;
  ways: number;
  shots: number;
  queries: number;
  iterations: number;
  metaBatch: number;
  testEpisodes: number;
  inner: { steps: number; lr: number };
  metaLr: number;
}

const common = { shots: 1, queries: 15, inner: { steps: 1, lr: 0.4 }, metaLr: 1e-3 } as const;

export const ACCURACY_CONFIGS: readonly AccuracyConfig[] = [
  // ProtoNets update on one episode at a time, as Snell et al. train them.
  { ...common, algo: 'protonet', ways: 5, iterations: 280, metaBatch: 1, testEpisodes: 600 },
  { ...common, algo: 'fomaml', ways: 5, iterations: 140, metaBatch: 2, testEpisodes: 600 },
  { ...common, algo: 'protonet', ways: 20, iterations: 40, metaBatch: 1, testEpisodes: 100 },
  { ...common, algo: 'fomaml', ways: 20, iterations: 40, metaBatch: 1, testEpisodes: 100 },
];

/** `--quick`: every configuration end to end, far too short to mean anything. */
export const QUICK_ACCURACY = { iterations: 2, metaBatch: 2, testEpisodes: 20 } as const;

export const OMNIGLOT_DIR = join(SHARED_DATASETS, 'omniglot');
export const OMNIGLOT_ZIPS = {
  background: `${OMNIGLOT_DIR}/images_background.zip`,
  evaluation: `${OMNIGLOT_DIR}/images_evaluation.zip`,
} as const;

export const configName = (c: AccuracyConfig) => `${c.algo} ${c.ways}-way ${c.shots}-shot`;
