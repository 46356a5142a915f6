// What a run can sample, decided before it starts: which classes each split holds, which of
// them are too small for one episode (left out, and counted), and whether every split still
// fills an episode. The service asks this when a job is created, so a degenerate dataset is
// refused at once instead of by a worker that fails later; trainRun follows the same plan.
import type { DataSplit } from '../types.js';
import type { TrainConfig } from '../config.js';
import type { ClassDataset, ClassSplitHint, ClassView } from '../data/types.js';
import { CoreError } from '../errors.js';
import { Random } from '../random.js';
import { streamSeed } from '../training/streams.js';
import { splitClasses, withRotations } from './splits.js';

export const SPLIT_PARTS = ['train', 'validation', 'test'] as const;
export type SplitPart = (typeof SPLIT_PARTS)[number];

/** The dataset's own split when its publisher defines one, else config.split's fractions. */
export function runSplit(numClasses: number, fixed: ClassSplitHint | undefined, hasImages: boolean, config: TrainConfig): DataSplit {
  const split = fixed ?? splitClasses(numClasses, config.split, new Random(streamSeed(config.seed, 'init')));
  const rotate = config.rotations && hasImages;
  return {
    train: withRotations(split.train, rotate),
    validation: withRotations(split.validation, rotate),
    // Rotations augment the classes learnt from; test classes stay as drawn (Lake et al.'s
    // evaluation, and the PyTorch reference's default).
    test: withRotations(split.test, false),
  };
}

/** The run's class split of `dataset`: its publisher's when it has one, else config.split's fractions. */
export function makeSplit(dataset: ClassDataset, config: TrainConfig): DataSplit {
  return runSplit(dataset.classNames.length, dataset.split, dataset.rows.spec.image !== undefined, config);
}

/** Examples one class needs to take part in an episode. */
export const examplesPerClass = (config: TrainConfig) => config.episode.shots + config.episode.queries;

/** `split` without the views of classes holding fewer than one episode's shots + queries. */
export function usableSplit(split: DataSplit, examplesOf: (classId: number) => number, config: TrainConfig): DataSplit {
  const need = examplesPerClass(config);
  const keep = (views: ClassView[]) => views.filter((v) => examplesOf(v.classId) >= need);
  return { train: keep(split.train), validation: keep(split.validation), test: keep(split.test) };
}

export interface PartPlan {
  /** Classes (views, with rotations) the split gives this part. */
  classes: number;
  /** Of those, the ones too small to sample from. */
  excluded: number;
}

export interface SamplingPlan {
  /** Examples a class needs: shots + queries. */
  examplesPerClass: number;
  train: PartPlan;
  validation: PartPlan;
  test: PartPlan;
  /** The left-out classes by name (at most MAX_LISTED), with their example counts. */
  excludedClasses: { name: string; examples: number; split: SplitPart }[];
}

const MAX_LISTED = 20;

/**
 * The sampling plan for a run of `config` over classes with these example counts. Throws
 * `degenerate_data` naming the classes and numbers when meta-training cannot form one episode,
 * or when validation or testing, which would sample, has classes but too few usable ones.
 */
export function planSampling(
  classes: readonly { name: string; examples: number }[],
  fixed: ClassSplitHint | undefined,
  hasImages: boolean,
  config: TrainConfig,
): SamplingPlan {
  const split = runSplit(classes.length, fixed, hasImages, config);
  const usable = usableSplit(split, (id) => classes[id].examples, config);
  const need = examplesPerClass(config);
  const excludedClasses: SamplingPlan['excludedClasses'] = [];
  for (const part of SPLIT_PARTS) {
    for (const classId of new Set(split[part].map((v) => v.classId))) {
      const { name, examples } = classes[classId];
      if (examples < need) excludedClasses.push({ name, examples, split: part });
    }
  }
  const plan = (part: SplitPart): PartPlan => ({ classes: split[part].length, excluded: split[part].length - usable[part].length });
  const result: SamplingPlan = {
    examplesPerClass: need,
    train: plan('train'),
    validation: plan('validation'),
    test: plan('test'),
    excludedClasses: excludedClasses.slice(0, MAX_LISTED),
  };
  const { ways, shots, queries } = config.episode;
  const refuse = (part: SplitPart, wanted: number) => {
    const small = excludedClasses.filter((c) => c.split === part);
    const named = small.slice(0, 5).map((c) => `'${c.name}' (${c.examples})`);
    const more = small.length > named.length ? ` and ${small.length - named.length} more` : '';
    throw new CoreError(
      'degenerate_data',
      `the ${part} split cannot form one ${wanted}-way episode: it has ${split[part].length} classes, ` +
        `${usable[part].length} with the ${need} examples each needs (${shots} shots + ${queries} queries)` +
        (small.length ? `; too small: ${named.join(', ')}${more}` : ''),
      { split: part, ways: wanted, examplesPerClass: need, classes: split[part].length, usable: usable[part].length, tooSmall: small.slice(0, MAX_LISTED) },
    );
  };
  if (usable.train.length < ways) refuse('train', ways);
  // Validation and test episodes shrink to the classes there are (evaluate.ts); a part with
  // fewer than two classes is skipped, but one whose classes are all too small would fail.
  const sampled = { validation: config.validation.every > 0 && config.validation.episodes > 0, test: config.evaluation.episodes > 0 };
  for (const part of ['validation', 'test'] as const) {
    if (sampled[part] && split[part].length >= 2 && usable[part].length < 2) refuse(part, Math.min(ways, split[part].length));
  }
  return result;
}
