// The sandboxed training processor: BullMQ forks a child process per concurrent job and runs
// this there, so TensorFlow.js may block this event loop for as long as it likes while the
// worker's own loop keeps renewing the job lock.
import { getPriority, hostname, setPriority } from 'node:os';
import { WaitingError, type SandboxedJob } from 'bullmq';
import { loadConfig } from '../config.js';
import { describeResumeFallback, initBackend, loadDataset, nativeFallbackNote, trainRun, type BackendInfo, type TrainResult } from '../core.js';
import { ServiceError } from '../errors.js';
import { createRedis, DEFAULT_REDIS_URL } from '../redis.js';
import { datasetRegistry } from '../registry/datasets.js';
import { modelIdForJob, modelRegistry, type ModelRecord } from '../registry/models.js';
import { openStorage } from '../storage/open.js';
import { RunStorage } from '../storage/runs.js';
import { asStorageFailure, storageKeys } from '../storage/storage.js';
import { MetricHistory } from './metric-history.js';
import { MetricSampler } from './metric-sampler.js';
import { cancelKey, type StopReason, type TrainJobData, type TrainJobReport, type TrainJobResult } from './types.js';

const config = loadConfig();
// Never below the worker's own priority: only root may raise one.
setPriority(Math.max(getPriority(), config.jobs.niceness));
// A run outlives a Redis restart: its reads and writes wait for Redis rather than fail the job.
const redis = createRedis(config.redisUrl ?? DEFAULT_REDIS_URL, 'worker', 'fewshot-train');
const storage = openStorage(config);
const runs = new RunStorage(storage);
const datasets = datasetRegistry(redis, config.prefix);
const models = modelRegistry(redis, config.prefix);
const history = new MetricHistory(redis, config.prefix);
let backend: Promise<BackendInfo> | null = null;

// The worker that forked us is gone (killed): its lock will lapse and another worker resumes the
// job from its last checkpoint, so this copy must not go on writing checkpoints beside it.
// 'disconnect' alone was seen to miss a worker killed while this module loaded (the orphan
// trained on for minutes), so being re-parented is checked too, every second and every iteration.
const parentPid = Number(process.env.FEWSHOT_PARENT_PID);
const exitIfOrphaned = () => {
  if (!process.connected || (parentPid > 0 && process.ppid !== parentPid)) process.exit(1);
};
process.once('disconnect', exitIfOrphaned);
setInterval(exitIfOrphaned, 1000).unref();
exitIfOrphaned();

/** Progress goes to Redis at most this often; checkpoints and the end are always reported. */
const REPORT_INTERVAL_MS = 250;

type Job = SandboxedJob<TrainJobData, TrainJobResult>;

/**
 * Runs a storage operation, retrying while the store is unavailable, with pauses growing from
 * 0.25 s to 10 s; each failure goes to the job's log. Other errors are not retried.
 */
async function withRetries<T>(job: Job, what: string, operation: () => Promise<T>): Promise<T> {
  const attempts = config.jobs.checkpointUploadAttempts;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!(error instanceof ServiceError && error.code === 'storage_unavailable')) throw error;
      if (attempt >= attempts) throw new Error(`${what} failed ${attempts} times; last: ${error.message}`);
      await job.log(`${what} failed (attempt ${attempt} of ${attempts}), retrying: ${error.message}`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** (attempt - 1), 10_000)));
    }
  }
}

export default async function train(job: Job, token?: string, signal?: AbortSignal): Promise<TrainJobResult> {
  const jobId = job.id!;
  const isCancelled = async () => (await redis.exists(cancelKey(config.prefix, jobId))) === 1;
  if (await isCancelled()) return { status: 'cancelled', iterations: 0, modelId: null };

  backend ??= initBackend(config.backend, { wasmThreads: config.wasmThreads });
  const info = await backend;
  const previous = job.progress && typeof job.progress === 'object' ? (job.progress as TrainJobReport) : null;
  const state: TrainJobReport = {
    backend: { name: info.name, device: info.device },
    progress: previous?.progress ?? null,
    checkpoints: previous?.checkpoints ?? [],
    warnings: previous?.warnings ?? [],
  };
  await job.updateProgress(state);
  await job.log(`attempt ${job.attemptsStarted} on ${hostname()} (pid ${process.pid}), backend ${info.name} (${info.device})`);
  const fallback = nativeFallbackNote(info);
  if (fallback) await job.log(fallback);

  const { datasetId, config: trainConfig } = job.data;
  const datasetRecord = await datasets.get(datasetId);
  if (!datasetRecord) throw new Error(`dataset ${datasetId} was deleted`);
  // The API admits only such jobs; checked again where the data is read.
  if (datasetRecord.tenant !== job.data.tenant) throw new Error(`dataset ${datasetId} belongs to another tenant than job ${jobId}`);
  if (!(await withRetries(job, 'reading the dataset', () => storage.fetch(datasetRecord.key)))) {
    throw new Error(`dataset ${datasetId}'s file is missing from ${storage.location}`);
  }
  const dataset = await loadDataset(await storage.localPath(datasetRecord.key));
  // Resuming continues from what the store holds, not from whatever an earlier attempt left on this disk.
  const dir = await withRetries(job, 'reading stored checkpoints', () => runs.pull(jobId));

  // The worker aborts `signal` with reason 'shutdown' (SIGTERM); a user's cancel is a Redis flag.
  const stop = new AbortController();
  signal?.addEventListener('abort', () => stop.abort(signal.reason), { once: true });
  let firstIteration = true;
  const sampler = new MetricSampler({ iterations: trainConfig.outer.iterations, validationEvery: trainConfig.validation.every });
  let reportedAt = 0;
  const report = async (force: boolean) => {
    if (!force && Date.now() - reportedAt < REPORT_INTERVAL_MS) return;
    reportedAt = Date.now();
    await job.updateProgress(state);
  };

  const result = await trainRun({
    dataset,
    config: trainConfig,
    dir,
    resume: true,
    signal: stop.signal,
    onWarning: async (message) => {
      // A resumed attempt meets the same warnings again; the job says each once.
      if (state.warnings!.includes(message)) return;
      state.warnings = [...state.warnings!, message];
      await job.log(`warning: ${message}`);
      await report(true);
    },
    onFold: async (fold) => {
      const accuracy = fold.evaluation ? `${(100 * fold.evaluation.accuracy.mean).toFixed(2)}%` : 'not scored';
      await job.log(`fold ${fold.fold}: ${accuracy} on ${fold.heldOutClasses} held-out classes (${fold.seconds.toFixed(1)} s)`);
      // folds.json, so that another worker resuming this job skips the folds already done.
      await withRetries(job, `storing fold ${fold.fold}`, () => runs.push(jobId));
    },
    onProgress: async (progress) => {
      exitIfOrphaned();
      // The folds' runs are not the served model's: its metric history starts with its own run.
      if (progress.phase === 'cross-validation') {
        state.progress = progress;
        await report(false);
        if (await isCancelled()) stop.abort('cancelled' satisfies StopReason);
        return;
      }
      if (firstIteration) {
        firstIteration = false;
        await job.log(`attempt ${job.attemptsStarted}: first iteration ${progress.iteration} of ${progress.iterations}`);
        await history.restart(jobId, progress);
      }
      state.progress = progress;
      // A point is stored before the progress that announces it, and before the run can write
      // its iteration's checkpoint: a resumed run finds the history complete up to where it resumes.
      const point = sampler.offer(progress);
      // Awaiting Redis here also lets this process's event loop turn once per iteration.
      const [cancelled] = await Promise.all([isCancelled(), point && history.append(jobId, point)]);
      await report(progress.iteration === progress.iterations);
      if (cancelled) stop.abort('cancelled' satisfies StopReason);
    },
    onResumeFallback: (point) => job.log(`attempt ${job.attemptsStarted}: ${describeResumeFallback(point)}`),
    onCheckpoint: async ({ iteration, path }) => {
      // Recorded only once stored whole; a store that stays down fails the job.
      await withRetries(job, `storing checkpoint ${iteration}`, () => runs.push(jobId));
      state.checkpoints = [...state.checkpoints.filter((c) => c.iteration !== iteration), { iteration, key: storage.keyOf(path) }];
      await report(true);
    },
  }).catch((error: unknown) => {
    // trainRun writes nothing but checkpoints: a full or unwritable disk fails the job saying so.
    throw asStorageFailure(error, 'writing a checkpoint');
  });
  // The evaluation rewrote the best checkpoint's manifest.
  await withRetries(job, 'storing the evaluated checkpoint', () => runs.push(jobId));
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
  const stored = await withRetries(job, 'listing stored checkpoints', () => storage.list(storageKeys.run(jobId)));
  const kept = state.checkpoints.filter((c) => stored.some((o) => o.key.startsWith(`${c.key}/`)));
  const bytes = stored.reduce((sum, o) => sum + o.bytes, 0);
  await models.create(modelRecord(modelId, jobId, datasetRecord.name, job.data, { ...state, checkpoints: kept }, result, bytes));
  return { status: 'completed', iterations: result.iterations, modelId };
}

function modelRecord(
  id: string,
  jobId: string,
  datasetName: string,
  data: TrainJobData,
  state: TrainJobReport,
  result: TrainResult,
  bytes: number,
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
    crossValidation: result.crossValidation ?? null,
    warnings: state.warnings ?? [],
    tenant: data.tenant,
    bytes,
    createdAt: new Date().toISOString(),
  };
}
