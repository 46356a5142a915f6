// Which classes meta-train, validate and test. Splits are by class, never by example:
// few-shot evaluation asks how well the model learns classes it has never seen.
import { CoreError } from '../errors.js';
import type { ClassView, Rotation } from '../data/types.js';
import type { Random } from '../random.js';

export interface ClassSplit {
  train: number[];
  validation: number[];
  test: number[];
}

export interface ClassFold {
  train: number[];
  test: number[];
}

const ascending = (ids: number[]) => ids.sort((a, b) => a - b);

function shuffledClasses(numClasses: number, rng: Random): number[] {
  if (!Number.isInteger(numClasses) || numClasses < 0) throw new CoreError('invalid_data', `bad class count ${numClasses}`);
  return rng.shuffle(Array.from({ length: numClasses }, (_, i) => i));
}

/**
 * A seeded random partition of the classes in proportion to `fractions` (normalised, so
 * they need not sum to 1). Counts are rounded by largest remainder: they always add up
 * to `numClasses`, and every class lands in exactly one list. Lists are sorted.
 */
export function splitClasses(numClasses: number, fractions: { train: number; validation: number; test: number }, rng: Random): ClassSplit {
  const parts = [fractions.train, fractions.validation, fractions.test];
  const total = parts.reduce((a, b) => a + b, 0);
  if (!parts.every((f) => Number.isFinite(f) && f >= 0) || total <= 0) {
    throw new CoreError('invalid_data', 'split fractions must be non-negative with a positive sum');
  }
  const ideal = parts.map((f) => (f / total) * numClasses);
  const counts = ideal.map(Math.floor);
  const byRemainder = [0, 1, 2].sort((a, b) => ideal[b] - counts[b] - (ideal[a] - counts[a]));
  for (let i = 0; i < numClasses - counts.reduce((a, b) => a + b, 0); i++) counts[byRemainder[i]] += 1;
  const ids = shuffledClasses(numClasses, rng);
  const train = ids.slice(0, counts[0]);
  const validation = ids.slice(counts[0], counts[0] + counts[1]);
  const test = ids.slice(counts[0] + counts[1]);
  return { train: ascending(train), validation: ascending(validation), test: ascending(test) };
}

/**
 * k folds for datasets too small to spare a fixed test set: the classes are shuffled
 * and dealt round-robin into k test sets (sizes differ by at most one); each fold
 * trains on all the others.
 */
export function kFoldClasses(numClasses: number, k: number, rng: Random): ClassFold[] {
  if (!Number.isInteger(k) || k < 2 || k > numClasses) {
    throw new CoreError('invalid_data', `k-fold needs 2 <= k <= ${numClasses} classes, got k = ${k}`);
  }
  const ids = shuffledClasses(numClasses, rng);
  return Array.from({ length: k }, (_, fold) => ({
    train: ascending(ids.filter((_, i) => i % k !== fold)),
    test: ascending(ids.filter((_, i) => i % k === fold)),
  }));
}

/**
 * Class views for explicit class ids (a fractional split, Omniglot's background and
 * evaluation sets, HuffPost's fixed split). With `rotations`, each class also appears
 * turned by 90, 180 and 270 degrees, each turn a class of its own.
 */
export function withRotations(classIds: readonly number[], rotations: boolean): ClassView[] {
  const turns: Rotation[] = rotations ? [0, 1, 2, 3] : [0];
  return classIds.flatMap((classId) => turns.map((rotation) => ({ classId, rotation })));
}
