// Few-shot prediction for the routes: looks models and adaptations up, and has the prediction
// process adapt and classify. Adaptations are recorded in Redis with their support set, so a
// process that lacks the weights (evicted, restarted, another API replica) rebuilds them.
import { visible, type Principal } from '../access.js';
import { CoreError, predictedClasses } from '../core.js';
import { ServiceError } from '../errors.js';
import type { Logger } from '../logger.js';
import { newId } from '../ids.js';
import type { AdaptationRecord, AdaptationRegistry } from '../registry/adaptations.js';
import type { ModelRecord, ModelRegistry } from '../registry/models.js';
import type { ExampleInput, QueryInput } from '../schemas/common.js';
import type { RunStorage } from '../storage/runs.js';
import { storageKeys } from '../storage/storage.js';
import { AdaptationMissing, type PredictionRunner } from './runner.js';
import type { PredictionTiming } from './timing.js';

export interface PredictionView {
  label: string;
  confidence: number;
  scores: Record<string, number>;
}

function toPredictions(labels: string[], probabilities: number[]): PredictionView[] {
  const ways = labels.length;
  return Array.from(predictedClasses(probabilities, ways), (best, row) => {
    const p = probabilities.slice(row * ways, (row + 1) * ways);
    return { label: labels[best], confidence: p[best], scores: Object.fromEntries(labels.map((l, i) => [l, p[i]])) };
  });
}

export class PredictionService {
  /** Models served from a fallback checkpoint, so the log says so once per model and process. */
  private readonly fallbacks = new Set<string>();

  constructor(
    private readonly runner: PredictionRunner,
    private readonly models: ModelRegistry,
    private readonly adaptations: AdaptationRegistry,
    private readonly runs: RunStorage,
    private readonly limits: { ttlSeconds: number; support: number; queries: number },
    private readonly log: Logger,
  ) {}

  /**
   * The local directory of the model's checkpoint; when that one is corrupt or half-written in
   * the store, the newest other checkpoint of its run that verifies, said once in the log.
   */
  private async checkpointOf(model: ModelRecord): Promise<string> {
    const isInvalid = (error: unknown) => error instanceof CoreError && error.code === 'checkpoint_invalid';
    try {
      return await this.runs.checkpoint(model.checkpoint);
    } catch (error) {
      if (!isInvalid(error)) throw error;
      const others = model.checkpoints.filter((c) => c.key !== model.checkpoint).sort((a, b) => b.iteration - a.iteration);
      for (const other of others) {
        const dir = await this.runs.checkpoint(other.key).catch((otherError: unknown) => {
          if (isInvalid(otherError)) return null;
          throw otherError;
        });
        if (!dir) continue;
        if (!this.fallbacks.has(model.id)) {
          this.fallbacks.add(model.id);
          this.log.warn({ modelId: model.id, checkpoint: model.checkpoint, reason: (error as Error).message, using: other.key }, 'the model checkpoint is corrupt: serving the previous good one');
        }
        return dir;
      }
      throw error;
    }
  }

  /** Limits come from the configuration, so they are checked here rather than in the schemas. */
  private checkSizes(support: unknown[], queries: unknown[]) {
    if (support.length > this.limits.support) throw new ServiceError('payload_too_large', `at most ${this.limits.support} support examples`);
    if (queries.length > this.limits.queries) throw new ServiceError('payload_too_large', `at most ${this.limits.queries} queries`);
  }

  /** Model `id` if `principal` may use it; a 404 otherwise. */
  async model(principal: Principal, id: string): Promise<ModelRecord> {
    return visible(principal, await this.models.get(id), 'model', id);
  }

  private async adapt(model: ModelRecord, support: ExampleInput[], steps: number | undefined, rest: object) {
    return this.runner.request({
      op: 'adapt',
      modelId: model.id,
      // Fetched from storage into this process's cache once, then read by the prediction process.
      checkpoint: await this.checkpointOf(model),
      support,
      ...(steps === undefined ? {} : { steps }),
      ...rest,
    });
  }

  async predict(principal: Principal, modelId: string, support: ExampleInput[], queries: QueryInput[], steps?: number) {
    this.checkSizes(support, queries);
    const result = await this.adapt(await this.model(principal, modelId), support, steps, { queries });
    return {
      predictions: toPredictions(result.labels, result.probabilities!),
      adaptation: { steps: result.steps, ms: result.ms },
      timing: result.timing,
    };
  }

  /** The adaptation belongs to its model's tenant. */
  async createAdaptation(principal: Principal, modelId: string, support: ExampleInput[], steps?: number): Promise<AdaptationRecord> {
    this.checkSizes(support, []);
    const model = await this.model(principal, modelId);
    const id = newId('ad');
    const expiresAt = Date.now() + this.limits.ttlSeconds * 1000;
    const result = await this.adapt(model, support, steps, { keep: { adaptationId: id, expiresAt } });
    const record = { id, modelId, tenant: model.tenant, labels: result.labels, steps: result.steps, support, expiresAt: new Date(expiresAt).toISOString() };
    await this.adaptations.create(record);
    return record;
  }

  async predictAdapted(principal: Principal, id: string, queries: QueryInput[]): Promise<{ predictions: PredictionView[]; timing: PredictionTiming }> {
    this.checkSizes([], queries);
    const record = visible(principal, await this.adaptations.get(id), 'adaptation', id);
    const scored = (result: { labels: string[]; probabilities: number[]; timing: PredictionTiming }) => ({
      predictions: toPredictions(result.labels, result.probabilities),
      timing: result.timing,
    });
    try {
      return scored(await this.runner.request({ op: 'predict', adaptationId: id, queries }));
    } catch (error) {
      if (!(error instanceof AdaptationMissing)) throw error;
    }
    const model = await this.model(principal, record.modelId);
    await this.adapt(model, record.support, record.steps, { keep: { adaptationId: id, expiresAt: Date.parse(record.expiresAt) } });
    return scored(await this.runner.request({ op: 'predict', adaptationId: id, queries }));
  }

  async deleteAdaptation(principal: Principal, id: string): Promise<void> {
    visible(principal, await this.adaptations.get(id), 'adaptation', id);
    await this.adaptations.delete(id);
    if (this.runner.running) await this.runner.request({ op: 'release', adaptationId: id });
  }

  /** Frees a deleted model's weights and adaptations in the prediction process, and its cached checkpoints' verification. */
  async forgetModel(model: ModelRecord): Promise<void> {
    this.runs.forget(storageKeys.run(model.jobId));
    if (this.runner.running) await this.runner.request({ op: 'drop-model', modelId: model.id });
  }
}
