// Omniglot as the reference trains and tests on it: every background character with its
// rotations meta-trains (the validation characters `fewshot train` holds out rejoin), the
// evaluation characters unrotated test.
import { resolveDatasetSource } from '../src/cli/train-dataset-source.js';
import type { ClassDataset, DataSplit } from '../src/core/index.js';
import { OMNIGLOT_DIR } from './accuracy-plan.js';

export async function standardOmniglot(cacheDir: string): Promise<{ dataset: ClassDataset; split: DataSplit; loadSeconds: number }> {
  const started = performance.now();
  const source = await resolveDatasetSource(`omniglot:${OMNIGLOT_DIR}`, { rotations: true, cacheDir });
  if (!source.split) throw new Error(`${OMNIGLOT_DIR} lacks the background/evaluation pair`);
  return {
    dataset: source.dataset,
    split: { train: [...source.split.train, ...source.split.validation], validation: [], test: source.split.test },
    loadSeconds: (performance.now() - started) / 1000,
  };
}
