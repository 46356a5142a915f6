// A bound on model size, checked before a job is queued: a run holds its parameters several
// times over (Adam's moments, MAML's per-task fast weights and their gradients), so a request
// for eight hidden layers of 8,192 units would need gigabytes and stall a worker for hours.
import type { TrainConfig } from '../config.js';
import type { InputSpec } from '../data/types.js';
import { CoreError } from '../errors.js';
import { headWidth } from '../learners/index.js';
import { buildNetwork } from './network.js';
import { sizeOf } from './params.js';

/** Parameters one model may have: 20 million floats, 80 MB per copy. */
export const MAX_MODEL_PARAMS = 20_000_000;

/** Parameters of the network a run of `config` on data of `spec` builds (no tensors are made). */
export function modelParams(spec: InputSpec, config: TrainConfig): number {
  // A run featurises text at its own width (config.text), not necessarily the dataset's.
  const runSpec = spec.text && config.text?.dim ? { ...spec, text: { features: config.text.dim } } : spec;
  const network = buildNetwork(runSpec, config.model, headWidth(config.algorithm, config.episode.ways));
  return network.params.reduce((total, p) => total + sizeOf(p.shape), 0);
}

/** Throws `model_too_large`, naming the model fields, when the model exceeds MAX_MODEL_PARAMS. */
export function checkModelBudget(spec: InputSpec, config: TrainConfig): number {
  const params = modelParams(spec, config);
  if (params > MAX_MODEL_PARAMS) {
    const { filters, hidden, fusionDim } = config.model;
    throw new CoreError(
      'model_too_large',
      `the model would have ${params.toLocaleString('en')} parameters, more than the ${MAX_MODEL_PARAMS.toLocaleString('en')} allowed; ` +
        `reduce model.hidden (now [${hidden.join(', ')}]), model.filters (${filters}) or model.fusionDim (${fusionDim})`,
      { parameters: params, limit: MAX_MODEL_PARAMS, fields: ['model.hidden', 'model.filters', 'model.fusionDim'] },
    );
  }
  return params;
}
