// Text features for a run over a dataset: which kind (the run's choice, else the dataset's,
// else the default), fitted on the meta-training classes' texts only, then applied to every
// row, so validation and test classes are featurised by a model that never saw them.
import { CoreError } from '../../errors.js';
import { allocateRows, columns, fromColumns } from '../rows.js';
import type { ClassDataset } from '../types.js';
import { DEFAULT_TEXT_DIM, MAX_TEXT_DIM, type TextFeatures, type TextFeaturesConfig } from './features.js';
import { hashingFeatures } from './hashing.js';
import { fitTfidfSvd } from './tfidf-svd.js';

/**
 * What a run uses when it says nothing: TF-IDF + SVD won the HuffPost comparison in
 * bench/README.md (bench:multimodal) for every learner and shot count measured.
 */
export const DEFAULT_TEXT_FEATURES: TextFeaturesConfig = { features: 'tfidf-svd', dim: DEFAULT_TEXT_DIM['tfidf-svd'] };

/**
 * The text features a run uses. Unset fields come from the dataset's choice, then the defaults;
 * a width given without a kind applies to the kind that would otherwise be used.
 */
export function resolveTextFeatures(requested: Partial<TextFeaturesConfig> | undefined, dataset: Pick<ClassDataset, 'textFeatures'>): TextFeaturesConfig {
  const base = dataset.textFeatures ?? DEFAULT_TEXT_FEATURES;
  const features = requested?.features ?? base.features;
  const dim = requested?.dim ?? (features === base.features ? base.dim : DEFAULT_TEXT_DIM[features]);
  if (!Number.isInteger(dim) || dim < 1 || dim > MAX_TEXT_DIM[features]) {
    throw new CoreError('invalid_data', `${features} text features are 1 to ${MAX_TEXT_DIM[features]} wide, not ${dim}`, { field: 'text.dim' });
  }
  return { features, dim };
}

function withoutRawText(dataset: ClassDataset, config: TextFeaturesConfig): CoreError {
  return new CoreError(
    'invalid_data',
    `dataset '${dataset.name}' keeps no raw text (it was saved before datasets did), so it can only use the hashing features ` +
      `it was saved with (${dataset.rows.spec.text?.features} wide), not ${config.features} with ${config.dim}; import it again`,
  );
}

/**
 * Text features for a run: hashing needs no fitting; tfidf-svd is fitted on the texts of rows
 * whose class is in `trainClasses` (and that have text). Null for a dataset without text.
 */
export function fitTextFeatures(dataset: ClassDataset, config: TextFeaturesConfig, trainClasses: Iterable<number>, seed: number): TextFeatures | null {
  const present = dataset.rows.present.text;
  if (!dataset.rows.spec.text || !present) return null;
  if (config.features === 'hashing') return hashingFeatures(config.dim);
  const { texts } = dataset;
  if (!texts) throw withoutRawText(dataset, config);
  const train = new Set(trainClasses);
  const corpus = texts.filter((_, row) => present[row] === 1 && train.has(dataset.labels[row]));
  return fitTfidfSvd(corpus, { dim: config.dim, seed });
}

/**
 * `dataset` with every row's text featurised by `features`; the text column's width becomes
 * features.config.dim. The raw text is consumed: the result's rows are the run's own input,
 * not something to fit on (or save as a dataset that recomputes hashed features) again.
 */
export function withTextFeatures(dataset: ClassDataset, features: TextFeatures): ClassDataset {
  const { spec, n } = dataset.rows;
  if (!spec.text) return dataset;
  const { texts } = dataset;
  if (!texts) {
    const unchanged = features.config.features === 'hashing' && features.config.dim === spec.text.features;
    if (unchanged) return dataset;
    throw withoutRawText(dataset, features.config);
  }
  const text = columns(allocateRows({ text: { features: features.config.dim } }, n))[0];
  const present = dataset.rows.present.text!;
  text.present.set(present);
  for (let row = 0; row < n; row++) {
    if (present[row] === 1) features.write(texts[row], text.data.subarray(row * text.width, (row + 1) * text.width));
  }
  const others = columns(dataset.rows).filter((col) => col.modality !== 'text');
  const newSpec = { ...spec, text: { features: features.config.dim } };
  const { texts: _consumed, textFeatures: _chosen, ...rest } = dataset;
  // fromColumns keys columns by modality, so their order here does not matter.
  return { ...rest, rows: fromColumns(newSpec, n, [...others, text]) };
}
