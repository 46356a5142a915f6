// The service's door to the core: everything it uses comes through here (and core-data.ts).
export { ALGORITHMS, CoreError, defaultTrainConfig, initBackend, loadPredictor, nativeFallbackNote, trainRun } from '../core/index.js';
export type {
  AdaptedTask,
  Algorithm,
  BackendInfo,
  BackendPreference,
  CheckpointInfo,
  ClassDataset,
  CoreErrorCode,
  EvaluationReport,
  FeatureRows,
  InputSpec,
  Modality,
  Predictor,
  Progress,
  TrainConfig,
  TrainResult,
} from '../core/index.js';
