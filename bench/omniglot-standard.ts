// Omniglot as the reference trains and tests on it: every background character with its
// rotations meta-trains (the validation characters `fewshot train` holds out rejoin), the
// evaluation characters unrotated test.
import { defaultTrainConfig, makeSplit, resolveDatasetSource, type ClassDataset, type DataSplit, type ResizeFilter } from '../src/core/index.js';
import { OMNIGLOT_DIR } from './accuracy-plan.js';

export async function standardOmniglot(
  cacheDir: string,
  resize?: ResizeFilter,
): Promise<{ dataset: ClassDataset; split: DataSplit; loadSeconds: number }> {
  const started = performance.now();
  const { dataset } = await resolveDatasetSource(`omniglot:${OMNIGLOT_DIR}`, { rotations: true, cacheDir, resize });
  if (!dataset.split) throw new Error(`${OMNIGLOT_DIR} lacks the background/evaluation pair`);
  const standard = makeSplit(dataset, defaultTrainConfig({ rotations: true }));
  return {
    dataset,
    split: { train: [...standard.train, ...standard.validation], validation: [], test: standard.test },
    loadSeconds: (performance.now() - started) / 1000,
  };
}
