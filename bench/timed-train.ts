// One benchmark cell's training run: in a temporary run directory (removed afterwards), progress
// on stderr, and the clock split between meta-training and what follows it (baselines, testing).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { progressReporter } from '../src/cli/progress.js';
import { trainRun, type TrainResult, type TrainRunOptions } from '../src/core/index.js';

export interface TimedRun {
  result: TrainResult;
  trainSeconds: number;
  evalSeconds: number;
}

/** Trains, then hands the run to `use` while its checkpoints still exist. */
export async function timedTrainRun<T>(options: Omit<TrainRunOptions, 'dir' | 'onProgress'>, use: (run: TimedRun) => Promise<T> | T): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'fewshot-bench-run-'));
  const progress = progressReporter({ write: (text) => process.stderr.write(text), isTTY: false });
  const started = performance.now();
  let trainSeconds = 0;
  try {
    const result = await trainRun({
      ...options,
      dir,
      onProgress: (p) => {
        progress.update(p);
        // Evaluation's progress reports carry the last iteration too: only training's may stop the clock.
        if (p.phase === 'meta-training' && p.iteration === p.iterations) trainSeconds = (performance.now() - started) / 1000;
      },
    });
    return await use({ result, trainSeconds, evalSeconds: (performance.now() - started) / 1000 - trainSeconds });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
