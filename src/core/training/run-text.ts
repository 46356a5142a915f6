// A run's text features: fitted once when it starts, on its meta-train classes only (never on
// validation or test classes), then written into every checkpoint; a resumed run reads them
// back instead of fitting again. Every row, of every class, is then featurised with them.
import type { DataSplit } from '../types.js';
import type { TrainConfig } from '../config.js';
import type { ClassDataset } from '../data/types.js';
import type { TextFeatures } from '../data/text/features.js';
import { fitTextFeatures, resolveTextFeatures, withTextFeatures } from '../data/text/dataset-text.js';
import type { CheckpointManifest } from '../checkpoint/checkpoint.js';
import { readTextFeatures } from '../checkpoint/text-features.js';
import { streamSeed } from './streams.js';

export interface RunText {
  /** The dataset with its text featurised for this run. */
  dataset: ClassDataset;
  /** The run's config with the text features resolved (as checkpoints record it). */
  config: TrainConfig;
  /** Null when the data has no text. */
  text: TextFeatures | null;
}

export async function runText(
  dataset: ClassDataset,
  config: TrainConfig,
  split: DataSplit,
  resumed: { path: string; manifest: CheckpointManifest } | null,
): Promise<RunText> {
  const text = resumed
    ? await readTextFeatures(resumed.path, resumed.manifest)
    : fitTextFeatures(
        dataset,
        resolveTextFeatures(config.text, dataset),
        split.train.map((view) => view.classId),
        // The random start of the SVD is part of initialising the model.
        streamSeed(config.seed, 'init'),
      );
  if (!text) return { dataset, config, text };
  return { dataset: withTextFeatures(dataset, text), config: { ...config, text: text.config }, text };
}
