// The core's public surface: the service imports from here and from ./data/types.js only.
export type * from './api.js';
export type * from './config.js';
export type * from './data/types.js';
export { ALGORITHMS, DEFAULT_MODEL, defaultTrainConfig } from './config.js';
export { CoreError } from './errors.js';
export type { CoreErrorCode } from './errors.js';
export { initBackend } from './tensor/backend.js';
export type { BackendInfo, BackendPreference } from './tensor/backend.js';
export { trainRun } from './training/run.js';
export { loadPredictor } from './adaptation/predictor.js';
export { evaluateCheckpoint } from './evaluation/evaluate.js';
