// The core's data layer (importers, featurisation, dataset files), through its public entry.
export { MODALITIES, buildDataset, featurize, loadDataset, saveDataset, loadImageFolder, loadOmniglot } from '../core/index.js';
export type { RawExample } from '../core/index.js';
