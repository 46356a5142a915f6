// The core's data layer (importers, featurisation, dataset files), through its public entry.
export { MODALITIES, buildDataset, featurize, labelClasses, loadDataset, saveDataset, loadImageFolder, loadOmniglot } from '../core/index.js';
export { DEFAULT_STROKE_POINTS, MAX_PEN_POINTS, STROKE_POINTS_RANGE } from '../core/index.js';
export { MAX_TEXT_DIM, TEXT_FEATURE_KINDS, resolveTextFeatures } from '../core/index.js';
export type { RawExample, TextFeaturesConfig } from '../core/index.js';
