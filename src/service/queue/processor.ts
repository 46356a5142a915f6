// The sandboxed training processor: BullMQ forks a child process per concurrent job and runs
// this there, so TensorFlow.js may block this event loop for as long as it likes while the
// worker's own loop keeps renewing the job lock.
import { hostname } from 'node:os';
import { WaitingError, type SandboxedJob } from 'bullmq';
import { loadConfig } from '../config.js';
import { initBackend, nativeFallbackNote, trainRun, type BackendInfo, type TrainResult } from '../core.js';
import { loadDataset } from '../core-data.js';
import { createRedis, DEFAULT_REDIS_URL } from '../redis.js';
import { datasetRegistry } from '../registry/datasets.js';
import { modelIdForJob, modelRegistry, type ModelRecord } from '../registry/models.js';
import { LocalStorage } from '../storage/local.js';
import { storageKeys } from '../storage/storage.js';
import { cancelKey, type StopReason, type TrainJobData, type TrainJobProgress, type TrainJobResult } from './types.js';

const config = loadConfig();
const redis = createRedis(config.redisUrl ?? DEFAULT_REDIS_URL, 'client', 'fewshot-train');
const storage = new LocalStorage(config.dataDir);
const datasets = datasetRegistry(redis, config.prefix);
const models = modelRegistry(redis, config.prefix);
let backend: Promise<BackendInfo> | null = null;

// The worker that forked us is gone (killed): its lock will lapse and another worker resumes the
// job from its last checkpoint, so this copy must not go on writing checkpoints beside it.
process.once('disconnect', () => process.exit(1));

/** Progress goes to Redis at most this often; checkpoints and the end are always reported. */
const REPORT_INTERVAL_MS = 250;

type Job = SandboxedJob<TrainJobData, TrainJobResult>;

export default async function train(job: Job, token?: string, signal?: AbortSignal): Promise<TrainJobResult> {
  const jobId = job.id!;
  const isCancelled = async () => (await redis.exists(cancelKey(config.prefix, jobId))) === 1;
  if (await isCancelled()) return { status: 'cancelled', iterations: 0, modelId: null };

  backend ??= initBackend(config.backend, { wasmThreads: config.wasmThreads });
  const info = await backend;
  const previous = job.progress && typeof job.progress === 'object' ? (job.progress as TrainJobProgress) : null;
  const state: TrainJobProgress = {
    backend: { name: info.name, device: info.device },
    progress: previous?.progress ?? null,
    checkpoints: previous?.checkpoints ?? [],
  };
  await job.updateProgress(state);
  await job.log(`attempt ${job.attemptsStarted} on ${hostname()} (pid ${process.pid}), backend ${info.name} (${info.device})`);
  const fallback = nativeFallbackNote(info);
  if (fallback) await job.log(fallback);

  const { datasetId, config: trainConfig } = job.data;
  const datasetRecord = await datasets.get(datasetId);
  if (!datasetRecord) throw new Error(`dataset ${datasetId} was deleted`);
  const dataset = await loadDataset(await storage.path(datasetRecord.key));

  // The worker aborts `signal` with reason 'shutdown' (SIGTERM); a user's cancel is a Redis flag.
  const stop = new AbortController();
  signal?.addEventListener('abort', () => stop.abort(signal.reason), { once: true });
  let firstIteration = true;
  let reportedAt = 0;
  const report = async (force: boolean) => {
    if (!force && Date.now() - reportedAt < REPORT_INTERVAL_MS) return;
    reportedAt = Date.now();
    await job.updateProgress(state);
  };

  const result = await trainRun({
    dataset,
    config: trainConfig,
    dir: await storage.path(storageKeys.run(jobId)),
    resume: true,
    signal: stop.signal,
    onProgress: async (progress) => {
      if (firstIteration) {
        firstIteration = false;
        await job.log(`attempt ${job.attemptsStarted}: first iteration ${progress.iteration} of ${progress.iterations}`);
      }
      state.progress = progress;
      await report(progress.iteration === progress.iterations);
      // Awaiting Redis here also lets this process's event loop turn once per iteration.
      if (await isCancelled()) stop.abort('cancelled' satisfies StopReason);
    },
    onCheckpoint: async ({ iteration, path }) => {
      state.checkpoints = [...state.checkpoints.filter((c) => c.iteration !== iteration), { iteration, key: storage.keyOf(path) }];
      await report(true);
    },
  });
  await report(true);

  if (result.status === 'cancelled') {
    if (stop.signal.reason === ('shutdown' satisfies StopReason)) {
      // Back to the queue, not failed: the next worker resumes from the checkpoint just kept.
      await job.moveToWait(token);
      throw new WaitingError();
    }
    return { status: 'cancelled', iterations: result.iterations, modelId: null };
  }
  const modelId = modelIdForJob(jobId);
  // The run keeps only its latest and best checkpoints; the model lists those that remain.
  const kept = await Promise.all(state.checkpoints.map(async (c) => ((await storage.exists(c.key)) ? [c] : [])));
  await models.create(modelRecord(modelId, jobId, datasetRecord.name, job.data, { ...state, checkpoints: kept.flat() }, result));
  return { status: 'completed', iterations: result.iterations, modelId };
}

function modelRecord(
  id: string,
  jobId: string,
  datasetName: string,
  data: TrainJobData,
  state: TrainJobProgress,
  result: TrainResult,
): ModelRecord {
  return {
    id,
    jobId,
    datasetId: data.datasetId,
    datasetName,
    algorithm: data.config.algorithm,
    config: data.config,
    evaluation: result.evaluation,
    bestValidationAccuracy: result.bestValidationAccuracy,
    iterations: result.iterations,
    checkpoint: storage.keyOf(result.bestCheckpoint),
    checkpoints: state.checkpoints,
    backend: state.backend,
    createdAt: new Date().toISOString(),
  };
}
