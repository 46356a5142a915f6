// Command lines of `fewshot train` and `fewshot eval` -> typed options. Every flag is checked
// here, so a typo fails at once with the flag's name instead of deep inside a run.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ALGORITHMS, BACKEND_PREFERENCES, defaultEvaluationEpisodes, defaultTrainConfig, NORMS, SOURCE_FORMS, TEXT_FEATURE_KINDS, type Algorithm, type BackendPreference, type Norm, type TextFeatureKind, type TrainConfig } from '../core/index.js';
import { UsageError } from './usage-error.js';

const BACKENDS: readonly BackendPreference[] = BACKEND_PREFERENCES;

export const TRAIN_USAGE = `usage: fewshot train --dataset <source> --out <dir> [options]
  --algorithm maml|fomaml|reptile|protonet|metasgd|anil   (default maml)
  --ways N --shots K --queries Q             episode shape (default 5-way 1-shot, 15 queries)
  --inner-steps N --inner-lr A               adaptation (default 1 step at 0.4; reptile 5 at 0.1)
  --outer-lr B --meta-batch M --iterations N (default Adam 1e-3, 32 tasks, 1000 iterations)
  --seed S --filters F --hidden 256,128      model (conv filters; MLP widths)
  --norm tasknorm|support|instance           image/strokes normalisation (default support)
  --text-features tfidf-svd|hashing --text-dim N
                                             text features (default tfidf-svd, 256 wide; hashing 1024)
  --val-every N --val-episodes E             validation (default every 100, 50 episodes; 0 = off)
  --checkpoint-every N                       (default 100)
  --eval-episodes N --no-baselines           final test evaluation (default: 1 episode per 50 tasks
                                             meta-trained, 100 to 600; with baselines)
  --folds K [--fold-iterations N]            K-fold meta-validation over the meta-train classes first,
                                             N iterations per fold (default --iterations); then the
                                             served model trains on all of them
  --rotations | --no-rotations               rotated image classes (default on for omniglot:)
  --resume                                   continue from the newest checkpoint in --out
  --backend ${BACKENDS.join('|')}  (default $FEWSHOT_BACKEND or auto)
  --json                                     one JSON object on stdout at the end
sources: ${SOURCE_FORMS.join(', ')}
decoded image sets are cached in $FEWSHOT_CACHE_DIR (default ~/.cache/fewshot)`;

export const EVAL_USAGE = `usage: fewshot eval --checkpoint <run-or-checkpoint-dir> --dataset <source> [options]
  --episodes N      test episodes (default 600)
  --no-baselines    skip the scratch and pre-trained baselines
  --seed S          episode seed (default: the one the run evaluated with)
  --backend ${BACKENDS.join('|')}
  --json            one JSON object on stdout at the end`;

const common = {
  dataset: { type: 'string' },
  backend: { type: 'string' },
  seed: { type: 'string' },
  json: { type: 'boolean', default: false },
  'no-baselines': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

const trainFlags = {
  ...common,
  algorithm: { type: 'string', default: 'maml' },
  ways: { type: 'string' },
  shots: { type: 'string' },
  queries: { type: 'string' },
  'inner-steps': { type: 'string' },
  'inner-lr': { type: 'string' },
  'outer-lr': { type: 'string' },
  'meta-batch': { type: 'string' },
  iterations: { type: 'string' },
  out: { type: 'string' },
  filters: { type: 'string' },
  hidden: { type: 'string' },
  norm: { type: 'string' },
  'text-features': { type: 'string' },
  'text-dim': { type: 'string' },
  'val-every': { type: 'string' },
  'val-episodes': { type: 'string' },
  'checkpoint-every': { type: 'string' },
  'eval-episodes': { type: 'string' },
  folds: { type: 'string' },
  'fold-iterations': { type: 'string' },
  rotations: { type: 'boolean' },
  'no-rotations': { type: 'boolean' },
  resume: { type: 'boolean', default: false },
} as const;

const evalFlags = {
  ...common,
  checkpoint: { type: 'string' },
  episodes: { type: 'string' },
} as const;

export interface CommonOptions {
  dataset: string;
  backend: BackendPreference;
  json: boolean;
  help: boolean;
  /** Decoded image sets are cached here ($FEWSHOT_CACHE_DIR, else ~/.cache/fewshot). */
  cacheDir: string;
}

export interface TrainOptions extends CommonOptions {
  config: TrainConfig;
  out: string;
  resume: boolean;
  /** Undefined: the source's default. */
  rotations: boolean | undefined;
}

export interface EvalOptions extends CommonOptions {
  checkpoint: string;
  episodes: number;
  baselines: boolean;
  seed: number | undefined;
}

function parse<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function number(flag: string, text: string | undefined, opts: { integer?: boolean; min?: number } = {}): number | undefined {
  const integer = opts.integer ?? true;
  const min = opts.min ?? (integer ? 1 : 0);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min) {
    throw new UsageError(`--${flag} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got '${text}'`);
  }
  return value;
}

function widths(text: string | undefined): number[] | undefined {
  return text === undefined ? undefined : text.split(',').map((w) => number('hidden', w.trim())!);
}

function commonOptions(values: { dataset?: string; backend?: string; json?: boolean; help?: boolean }, needsDataset: boolean): CommonOptions {
  const backend = values.backend ?? process.env.FEWSHOT_BACKEND ?? 'auto';
  if (!BACKENDS.includes(backend as BackendPreference)) {
    throw new UsageError(`--backend must be one of ${BACKENDS.join(', ')}, got '${backend}'`);
  }
  if (needsDataset && !values.dataset) throw new UsageError('--dataset is required');
  return {
    dataset: values.dataset ?? '',
    backend: backend as BackendPreference,
    json: values.json ?? false,
    help: values.help ?? false,
    cacheDir: process.env.FEWSHOT_CACHE_DIR ?? join(homedir(), '.cache', 'fewshot'),
  };
}

/** Drops the flags not given, so spreading the result keeps the defaults under them. */
const given = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

export function parseTrainArgs(argv: string[]): TrainOptions {
  const v = parse(argv, trainFlags);
  const common = commonOptions(v, !v.help);
  if (common.help) return { ...common, config: defaultTrainConfig(), out: '', resume: false, rotations: undefined };
  if (!v.out) throw new UsageError('--out is required');
  if (!ALGORITHMS.includes(v.algorithm as Algorithm)) {
    throw new UsageError(`--algorithm must be one of ${ALGORITHMS.join(', ')}, got '${v.algorithm}'`);
  }
  if (v.rotations && v['no-rotations']) throw new UsageError('--rotations and --no-rotations contradict each other');
  if (v.norm !== undefined && !NORMS.includes(v.norm as Norm)) {
    throw new UsageError(`--norm must be one of ${NORMS.join(', ')}, got '${v.norm}'`);
  }
  const textFeatures = v['text-features'];
  if (textFeatures !== undefined && !TEXT_FEATURE_KINDS.includes(textFeatures as TextFeatureKind)) {
    throw new UsageError(`--text-features must be one of ${TEXT_FEATURE_KINDS.join(', ')}, got '${textFeatures}'`);
  }
  const text = given({ features: textFeatures as TextFeatureKind | undefined, dim: number('text-dim', v['text-dim'], { min: 2 }) });
  const base = defaultTrainConfig({ algorithm: v.algorithm as Algorithm, ...(Object.keys(text).length ? { text } : {}) });
  const folds = number('folds', v.folds, { min: 2 });
  const foldIterations = number('fold-iterations', v['fold-iterations']);
  if (foldIterations !== undefined && folds === undefined) throw new UsageError('--fold-iterations needs --folds');
  const outer = {
    ...base.outer,
    ...given({
      lr: number('outer-lr', v['outer-lr'], { integer: false }),
      metaBatchSize: number('meta-batch', v['meta-batch']),
      iterations: number('iterations', v.iterations),
    }),
  };
  const config: TrainConfig = {
    ...base,
    episode: { ...base.episode, ...given({ ways: number('ways', v.ways, { min: 2 }), shots: number('shots', v.shots), queries: number('queries', v.queries) }) },
    inner: { ...base.inner, ...given({ steps: number('inner-steps', v['inner-steps'], { min: 0 }), lr: number('inner-lr', v['inner-lr'], { integer: false }) }) },
    outer,
    model: { ...base.model, ...given({ filters: number('filters', v.filters), hidden: widths(v.hidden), norm: v.norm as Norm | undefined }) },
    validation: {
      ...base.validation,
      ...given({ every: number('val-every', v['val-every'], { min: 0 }), episodes: number('val-episodes', v['val-episodes'], { min: 0 }) }),
    },
    evaluation: { episodes: number('eval-episodes', v['eval-episodes'], { min: 0 }) ?? defaultEvaluationEpisodes(outer), baselines: !v['no-baselines'] },
    ...(folds ? { crossValidation: { folds, iterations: foldIterations ?? outer.iterations } } : {}),
    checkpointEvery: number('checkpoint-every', v['checkpoint-every'], { min: 0 }) ?? base.checkpointEvery,
    seed: number('seed', v.seed, { min: 0 }) ?? base.seed,
  };
  return {
    ...common,
    config,
    out: v.out,
    resume: v.resume ?? false,
    rotations: v.rotations ? true : v['no-rotations'] ? false : undefined,
  };
}

export function parseEvalArgs(argv: string[]): EvalOptions {
  const v = parse(argv, evalFlags);
  const common = commonOptions(v, !v.help);
  if (!common.help && !v.checkpoint) throw new UsageError('--checkpoint is required');
  return {
    ...common,
    checkpoint: v.checkpoint ?? '',
    episodes: number('episodes', v.episodes) ?? 600,
    baselines: !v['no-baselines'],
    seed: number('seed', v.seed, { min: 0 }),
  };
}
