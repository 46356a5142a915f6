// N-way K-shot episodes drawn from a set of class views. All randomness comes from the
// Random handed in, so a checkpoint that stores its state resumes the same episode stream.
import { CoreError } from '../errors.js';
import type { ClassDataset, ClassView, Episode, Rotation } from '../data/types.js';
import type { Random } from '../random.js';
import { gatherRows } from './gather.js';
import { assertRotatable } from './rotate.js';

export interface EpisodeOptions {
  ways: number;
  shots: number;
  /** Query examples per class. */
  queries: number;
}

/**
 * k distinct integers of [0, n) in random order: a partial Fisher-Yates over a virtual
 * 0..n-1 array, O(k) whatever n (4,800 rotated Omniglot classes, 5 drawn per episode).
 */
function distinct(rng: Random, n: number, k: number): number[] {
  const moved = new Map<number, number>();
  const out: number[] = [];
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    out.push(moved.get(j) ?? j);
    moved.set(j, moved.get(i) ?? i);
  }
  return out;
}

export class EpisodeSampler {
  /** Row indices of each dataset class. */
  private readonly members: number[][];

  constructor(
    private readonly dataset: ClassDataset,
    private readonly views: readonly ClassView[],
    private readonly options: EpisodeOptions,
    private readonly rng: Random,
  ) {
    const { ways, shots, queries } = options;
    if (!Number.isInteger(ways) || ways < 1 || !Number.isInteger(shots) || shots < 1 || !Number.isInteger(queries) || queries < 0) {
      throw new CoreError('invalid_data', `bad episode shape: ${ways}-way ${shots}-shot ${queries} queries`);
    }
    if (views.length < ways) {
      throw new CoreError('invalid_data', `${ways}-way episodes need ${ways} classes, only ${views.length} given`);
    }
    const classes = dataset.classNames.length;
    this.members = Array.from({ length: classes }, () => []);
    dataset.labels.forEach((label, row) => this.members[label].push(row));

    const seen = new Set<string>();
    for (const { classId, rotation } of views) {
      if (!Number.isInteger(classId) || classId < 0 || classId >= classes) {
        throw new CoreError('invalid_data', `class ${classId} is not in dataset ${dataset.name}`);
      }
      const key = `${classId}:${rotation}`;
      if (seen.has(key)) throw new CoreError('invalid_data', `class view ${key} is listed twice`);
      seen.add(key);
      if (rotation !== 0) assertRotatable(dataset.rows.spec);
      const count = this.members[classId].length;
      if (count < shots + queries) {
        throw new CoreError(
          'invalid_data',
          `class '${dataset.classNames[classId]}' has ${count} examples; ${shots} shots + ${queries} queries need ${shots + queries}`,
        );
      }
    }
  }

  get ways(): number {
    return this.options.ways;
  }

  /**
   * The next episode. Label k stands for the k-th view drawn, and views are drawn in
   * random order, so labels are a fresh permutation every episode. Rows are grouped by
   * label: support row i has label floor(i / shots), query row i floor(i / queries).
   */
  next(): Episode {
    const { ways, shots, queries } = this.options;
    const views = distinct(this.rng, this.views.length, ways).map((i) => this.views[i]);
    const support: number[] = [];
    const query: number[] = [];
    for (const { classId } of views) {
      const members = this.members[classId];
      const rows = distinct(this.rng, members.length, shots + queries).map((i) => members[i]);
      support.push(...rows.slice(0, shots));
      query.push(...rows.slice(shots));
    }
    const turns = (perClass: number): Rotation[] => views.flatMap((v) => Array<Rotation>(perClass).fill(v.rotation));
    const labels = (perClass: number) => Int32Array.from({ length: ways * perClass }, (_, i) => Math.floor(i / perClass));
    return {
      ways,
      support: gatherRows(this.dataset.rows, support, turns(shots)),
      supportLabels: labels(shots),
      query: gatherRows(this.dataset.rows, query, turns(queries)),
      queryLabels: labels(queries),
      classIds: views.map((v) => v.classId),
      views,
    };
  }
}
