// `fewshot train` and `fewshot eval`. Diagnostics (backend, dataset, progress) go to stderr and
// the report to stdout, so `--json` output can be piped while a person still watches progress.
import {
  CoreError,
  describeResumeFallback,
  evaluateCheckpoint,
  initBackend,
  resolveCheckpoint,
  resolveDatasetSource,
  trainRun,
  type BackendInfo,
  type BackendPreference,
} from '../core/index.js';
import { EVAL_USAGE, TRAIN_USAGE, parseEvalArgs, parseTrainArgs, type CommonOptions } from './train-args.js';
import { UsageError } from './usage-error.js';
import { percent, progressReporter } from './progress.js';
import { describeBackend, formatSummary, type Summary } from './train-report.js';

/** Where a command writes; tests pass their own to capture output. */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
  readonly errIsTTY: boolean;
  readonly errColumns?: number;
}

const processIo: CommandIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  get errIsTTY() {
    return process.stderr.isTTY === true;
  },
  get errColumns() {
    return process.stderr.columns;
  },
};

const EXIT = { ok: 0, failed: 1, usage: 2, cancelled: 130 } as const;

async function run(name: string, usage: string, io: CommandIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`fewshot ${name}: ${error.message}\n${usage}\n`);
      return EXIT.usage;
    }
    // Core errors describe bad input in words; anything else is a bug worth its stack.
    io.err(`fewshot ${name}: ${error instanceof CoreError ? error.message : error instanceof Error ? error.stack : String(error)}\n`);
    return EXIT.failed;
  }
}

async function startBackend(preference: BackendPreference, io: CommandIo): Promise<BackendInfo> {
  const info = await initBackend(preference);
  io.err(describeBackend(info));
  return info;
}

function report(summary: Summary, options: CommonOptions, io: CommandIo): void {
  io.out(options.json ? `${JSON.stringify(summary)}\n` : formatSummary(summary));
}

/**
 * The first Ctrl-C stops the run between iterations (it keeps its checkpoints and still
 * reports); the listener is gone after it, so a second Ctrl-C ends the process at once.
 */
function cancelOnSigint(io: CommandIo): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const onSigint = () => {
    io.err('\ncancelling after the current iteration (Ctrl-C again to quit at once)\n');
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  return { signal: controller.signal, release: () => process.off('SIGINT', onSigint) };
}

export function trainCommand(argv: string[], io: CommandIo = processIo): Promise<number> {
  return run('train', TRAIN_USAGE, io, async () => {
    const options = parseTrainArgs(argv);
    if (options.help) {
      io.out(`${TRAIN_USAGE}\n`);
      return EXIT.ok;
    }
    const started = performance.now();
    const backend = await startBackend(options.backend, io);
    const source = await resolveDatasetSource(options.dataset, { rotations: options.rotations, cacheDir: options.cacheDir });
    io.err(`dataset: ${source.description}\n`);
    const config = { ...options.config, rotations: source.rotations };
    const progress = progressReporter({ write: io.err, isTTY: io.errIsTTY, columns: io.errColumns });
    const cancel = cancelOnSigint(io);
    let result;
    try {
      result = await trainRun({
        dataset: source.dataset,
        config,
        dir: options.out,
        resume: options.resume,
        signal: cancel.signal,
        onProgress: (p) => progress.update(p),
        onWarning: (message) => {
          progress.finish();
          io.err(`warning: ${message}\n`);
        },
        onFold: (fold) => {
          progress.finish();
          const scored = fold.evaluation ? `${percent(fold.evaluation.accuracy.mean)} on ${fold.evaluation.episodes} episodes` : 'not scored';
          io.err(`fold ${fold.fold}: ${scored} of ${fold.heldOutClasses} held-out classes\n`);
        },
        onResumeFallback: (point) => io.err(`${describeResumeFallback(point)}\n`),
      });
    } finally {
      cancel.release();
      progress.finish();
    }
    report(
      {
        command: 'train',
        ...result,
        config,
        elapsedSeconds: (performance.now() - started) / 1000,
        backend,
        dataset: { source: options.dataset, description: source.description },
      },
      options,
      io,
    );
    return result.status === 'completed' ? EXIT.ok : EXIT.cancelled;
  });
}

async function findCheckpoint(path: string): Promise<string> {
  const checkpoint = await resolveCheckpoint(path);
  if (!checkpoint) throw new UsageError(`${path} is neither a checkpoint nor a run directory with one`);
  return checkpoint;
}

export function evalCommand(argv: string[], io: CommandIo = processIo): Promise<number> {
  return run('eval', EVAL_USAGE, io, async () => {
    const options = parseEvalArgs(argv);
    if (options.help) {
      io.out(`${EVAL_USAGE}\n`);
      return EXIT.ok;
    }
    const started = performance.now();
    const checkpoint = await findCheckpoint(options.checkpoint);
    const backend = await startBackend(options.backend, io);
    // The checkpoint carries its own class split; the source only has to supply the same classes.
    const source = await resolveDatasetSource(options.dataset, { cacheDir: options.cacheDir });
    io.err(`dataset: ${source.description}\nevaluating ${checkpoint} on ${options.episodes} episodes\n`);
    const evaluation = await evaluateCheckpoint(checkpoint, source.dataset, {
      episodes: options.episodes,
      baselines: options.baselines,
      seed: options.seed,
    });
    report(
      {
        command: 'eval',
        checkpoint,
        evaluation,
        elapsedSeconds: (performance.now() - started) / 1000,
        backend,
        dataset: { source: options.dataset, description: source.description },
      },
      options,
      io,
    );
    if (!evaluation) io.err('fewshot eval: the checkpoint\'s test split has fewer than 2 classes; nothing to evaluate\n');
    return evaluation ? EXIT.ok : EXIT.failed;
  });
}
