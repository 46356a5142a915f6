// Tiny, fast training configurations for tests.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultTrainConfig, type TrainConfig } from '../../src/core/config.js';

type Overrides = Parameters<typeof defaultTrainConfig>[0];

export function tinyConfig(overrides: Overrides = {}): TrainConfig {
  return defaultTrainConfig({
    episode: { ways: 3, shots: 1, queries: 3 },
    model: { filters: 4, hidden: [24], fusionDim: 8 },
    outer: { iterations: 20, metaBatchSize: 2, lr: 3e-3 },
    inner: { steps: 2, lr: 0.3 },
    validation: { every: 0, episodes: 10 },
    checkpointEvery: 10,
    evaluation: { episodes: 20, baselines: false },
    split: { train: 0.6, validation: 0.2, test: 0.2 },
    ...overrides,
  });
}

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'fewshot-test-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
