// Turns a run's stream of progress reports into the points of its metric history, bounded
// whatever the run's length: on long runs one point stands for a window of iterations.
import type { Progress } from '../core.js';
import type { MetricPoint } from '../schemas/job-metrics.js';

/** At most this many meta-training points, and as many validation points, per job. */
export const MAX_POINTS = 2000;

/** Points of one phase sort after those of an earlier phase at the same iteration. */
export const pointOrder = (point: Pick<Progress, 'iteration' | 'phase'>) => 2 * point.iteration + (point.phase === 'meta-training' ? 0 : 1);

const windowEvery = (count: number, max: number) => Math.max(1, Math.ceil(count / max));

export class MetricSampler {
  /** Meta-training iterations one point stands for; fixed by the configuration, so a resumed run keeps it. */
  readonly every: number;
  private readonly validationEvery: number;
  /** Every how many validations one is kept. */
  private readonly validationsKept: number;
  private window = { loss: 0, accuracy: 0, count: 0 };
  private lastPhase: Progress['phase'] | null = null;

  constructor(run: { iterations: number; validationEvery: number }, max = MAX_POINTS) {
    this.every = windowEvery(run.iterations, max);
    this.validationEvery = run.validationEvery;
    this.validationsKept = run.validationEvery > 0 ? windowEvery(Math.floor(run.iterations / run.validationEvery), max) : 0;
  }

  /** The point to record for `progress`, if any. */
  offer(progress: Progress, now = new Date()): MetricPoint | null {
    const phaseChanged = progress.phase !== this.lastPhase;
    this.lastPhase = progress.phase;
    if (progress.phase !== 'meta-training') {
      // Later phases repeat the last training numbers: their start and end are what matter.
      const finished = progress.evaluation !== null && progress.evaluation.done === progress.evaluation.episodes;
      return phaseChanged || finished ? this.point(progress, progress.loss, progress.accuracy, null, now) : null;
    }
    this.window.loss += progress.loss;
    this.window.accuracy += progress.accuracy;
    this.window.count += 1;
    // The run validates on the same rule (core/training/run.ts); reading it off the value would
    // miss a validation that measured the same accuracy as the one before.
    const validated = this.validationEvery > 0 && progress.iteration % this.validationEvery === 0;
    const keepValidation = validated && (progress.iteration / this.validationEvery) % this.validationsKept === 0;
    const last = progress.iteration === progress.iterations;
    if (progress.iteration % this.every !== 0 && !keepValidation && !last) return null;
    const { loss, accuracy, count } = this.window;
    this.window = { loss: 0, accuracy: 0, count: 0 };
    return this.point(progress, loss / count, accuracy / count, keepValidation ? progress.validationAccuracy : null, now);
  }

  private point(progress: Progress, loss: number, accuracy: number, validationAccuracy: number | null, now: Date): MetricPoint {
    return {
      iteration: progress.iteration,
      phase: progress.phase,
      loss,
      accuracy,
      validationAccuracy,
      tasksPerSecond: progress.tasksPerSecond,
      time: now.toISOString(),
    };
  }
}
