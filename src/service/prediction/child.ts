// The prediction process: holds loaded models and adapted weights, and does all tensor work
// for the API, whose event loop therefore stays free while a request adapts or predicts.
import { loadConfig } from '../config.js';
import { checkSupport, CoreError, initBackend, labelClasses, liveTensors, loadPredictor, nativeFallbackNote, type AdaptedTask, type Predictor, type RawExample } from '../core.js';
import { modelCaches } from './caches.js';
import type { AdaptRequest, AdaptResult, ChildMessage, ParentMessage, PredictResult, Request, WireError } from './protocol.js';

const config = loadConfig();
const send = (message: ChildMessage) => process.send!(message);

const caches = modelCaches({ models: config.modelCacheSize, adaptations: config.adaptationCacheSize });
const { adaptations, predictors } = caches;
// Expired adapted weights are released within a minute even if nobody asks for them again.
setInterval(() => adaptations.purgeStale(), 60_000).unref();

async function rows(field: 'support' | 'queries', examples: RawExample[], model: Predictor) {
  try {
    return await model.featurize(examples);
  } catch (error) {
    if (error instanceof CoreError && error.code === 'invalid_data') {
      throw new CoreError(error.code, `${field}: ${error.message}`, { field, ...(error.details as object) });
    }
    throw error;
  }
}

async function probabilities(task: AdaptedTask, query: Awaited<ReturnType<typeof rows>>): Promise<number[]> {
  return Array.from(await task.predict(query));
}

async function adapt(request: AdaptRequest): Promise<AdaptResult> {
  const model = await caches.predictor(request.modelId, () => loadPredictor(request.checkpoint));
  // Classes as the dataset builder numbers them, so one support set always maps the same way;
  // checked before its examples are decoded.
  const { classNames: labels, labels: classes } = labelClasses(request.support.map((e) => e.label!));
  checkSupport(classes, labels.length, model.maxWays);
  const decoding = performance.now();
  const support = await rows('support', request.support, model);
  const query = request.queries ? await rows('queries', request.queries, model) : null;
  const steps = request.steps ?? model.defaultSteps;
  const started = performance.now();
  const task = model.adapt(support, classes, labels.length, steps);
  const adapted = performance.now();
  const timing = { decodeMs: started - decoding, adaptMs: adapted - started, forwardMs: 0 };
  if (request.keep) {
    caches.keep(request.keep.adaptationId, { modelId: request.modelId, labels, task }, request.keep.expiresAt);
    return { labels, steps, ms: timing.adaptMs, timing };
  }
  try {
    const scores = query ? await probabilities(task, query) : undefined;
    timing.forwardMs = performance.now() - adapted;
    return { labels, steps, ms: timing.adaptMs, ...(scores ? { probabilities: scores } : {}), timing };
  } finally {
    task.dispose();
  }
}

async function predict(adaptationId: string, queries: RawExample[]): Promise<PredictResult> {
  const adapted = adaptations.get(adaptationId);
  if (!adapted) throw Object.assign(new Error('adapted weights not in this process'), { code: 'adaptation_missing' });
  const model = await predictors.get(adapted.modelId)!;
  const decoding = performance.now();
  const query = await rows('queries', queries, model);
  const started = performance.now();
  const scores = await probabilities(adapted.task, query);
  return { labels: adapted.labels, probabilities: scores, timing: { decodeMs: started - decoding, adaptMs: 0, forwardMs: performance.now() - started } };
}

async function handle(request: Request): Promise<unknown> {
  switch (request.op) {
    case 'adapt':
      return adapt(request);
    case 'predict':
      return predict(request.adaptationId, request.queries);
    case 'release':
      adaptations.delete(request.adaptationId);
      return null;
    case 'drop-model':
      predictors.delete(request.modelId);
      return null;
    case 'memory': {
      const { heapUsed, rss } = process.memoryUsage();
      return { tensors: liveTensors(), heapUsed, rss };
    }
  }
}

function toWire(error: unknown): WireError {
  if (error instanceof CoreError) return { code: error.code, message: error.message, details: error.details };
  const code = (error as { code?: unknown }).code;
  if (code === 'adaptation_missing') return { code, message: (error as Error).message };
  console.error(error);
  return { code: 'internal', message: 'prediction failed' };
}

process.on('message', (message: ParentMessage) => {
  handle(message.request).then(
    (value) => send({ type: 'reply', id: message.id, ok: true, value }),
    (error: unknown) => send({ type: 'reply', id: message.id, ok: false, error: toWire(error) }),
  );
});
// The API process is gone: nothing can reach this one any more.
process.once('disconnect', () => process.exit(0));

initBackend(config.backend, { wasmThreads: config.wasmThreads }).then(
  (info) => send({ type: 'ready', backend: { name: info.name, device: info.device }, fallback: nativeFallbackNote(info) }),
  (error: unknown) => send({ type: 'failed', error: toWire(error) }),
);
