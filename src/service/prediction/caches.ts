// What the prediction process keeps between requests: loaded models and adapted weights, both
// bounded LRU caches that release their tensors as entries leave (evicted, replaced, deleted, or
// past an adaptation's expiry).
import { LRUCache } from 'lru-cache';
import type { AdaptedTask, Predictor } from '../core.js';

export interface Adapted {
  modelId: string;
  labels: string[];
  task: AdaptedTask;
}

export interface ModelCaches {
  readonly adaptations: LRUCache<string, Adapted>;
  readonly predictors: LRUCache<string, Promise<Predictor>>;
  /** The model's predictor, loaded once by `load` while it stays cached; a failed load is not kept. */
  predictor(modelId: string, load: () => Promise<Predictor>): Promise<Predictor>;
  /** Keeps adapted weights until `expiresAt` (epoch ms). */
  keep(adaptationId: string, adapted: Adapted, expiresAt: number): void;
}

export function modelCaches(sizes: { models: number; adaptations: number }): ModelCaches {
  const adaptations = new LRUCache<string, Adapted>({ max: sizes.adaptations, dispose: (a) => a.task.dispose() });
  // Adapted tasks may share a predictor's weights, so a model leaves together with its adaptations.
  const predictors = new LRUCache<string, Promise<Predictor>>({
    max: sizes.models,
    dispose: (predictor, modelId) => {
      for (const [id, a] of [...adaptations.entries()]) if (a.modelId === modelId) adaptations.delete(id);
      predictor.then((p) => p.dispose()).catch(() => {});
    },
  });
  return {
    adaptations,
    predictors,
    predictor(modelId, load) {
      let loading = predictors.get(modelId);
      if (!loading) {
        loading = load();
        predictors.set(modelId, loading);
        loading.catch(() => predictors.delete(modelId));
      }
      return loading;
    },
    keep(adaptationId, adapted, expiresAt) {
      // A ttl of 0 would mean "never expires": an expiry already past still expires.
      adaptations.set(adaptationId, adapted, { ttl: Math.max(1, expiresAt - Date.now()) });
    },
  };
}
