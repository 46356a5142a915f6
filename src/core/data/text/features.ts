// Text features: how the text modality becomes the fixed-width vector the model reads. Two
// kinds: 'hashing' (stateless, bucketed n-grams) and 'tfidf-svd' (fitted on the meta-training
// classes' texts when a run starts). Whichever a run uses is saved in its checkpoints, so
// serving featurises new text exactly as training did.

export const TEXT_FEATURE_KINDS = ['tfidf-svd', 'hashing'] as const;
export type TextFeatureKind = (typeof TEXT_FEATURE_KINDS)[number];

export interface TextFeaturesConfig {
  features: TextFeatureKind;
  /** Width of the vector each text becomes. */
  dim: number;
}

/** Widths when a config names only the kind. */
export const DEFAULT_TEXT_DIM: Record<TextFeatureKind, number> = { hashing: 1024, 'tfidf-svd': 256 };

/** Widest features of each kind: a wider SVD costs its fit time quadratically (bench/README.md). */
export const MAX_TEXT_DIM: Record<TextFeatureKind, number> = { hashing: 8192, 'tfidf-svd': 1024 };

/** A map from text to a vector of config.dim numbers (fitted already, where it needs fitting). */
export interface TextFeatures {
  readonly config: TextFeaturesConfig;
  /** Overwrites `out` (config.dim long) with the features of `text`; text without any known word gives zeros. */
  write(text: string, out: Float32Array): void;
}

/**
 * Width of the hashed features a dataset holds for its text between runs: the run's own when
 * the dataset asks for hashing, so such runs use the rows as they are.
 */
export function storedTextWidth(config: TextFeaturesConfig | undefined): number {
  return config?.features === 'hashing' ? config.dim : DEFAULT_TEXT_DIM.hashing;
}
