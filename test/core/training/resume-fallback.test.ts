// A resumed run whose newest checkpoint is corrupt (truncated weights) or half-written (a
// manifest that is not JSON) falls back to the checkpoint before it, says which it skipped and
// why, and completes; with no sound checkpoint left it starts afresh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { trainRun } from '../../../src/core/training/run.js';
import { describeResumeFallback, readPointer, type ResumePoint } from '../../../src/core/checkpoint/run-dir.js';
import { gaussianClusters } from '../../../src/core/data/synthetic.js';
import { useTestBackend } from '../../helpers/backend.js';
import { tinyConfig, withTempDir } from '../../helpers/runs.js';

const dataset = gaussianClusters({ classes: 15, perClass: 8, dim: 10, noise: 0.4, seed: 3 });
const config = tinyConfig({ algorithm: 'protonet', outer: { iterations: 30, metaBatchSize: 2, lr: 3e-3 }, checkpointEvery: 5, evaluation: { episodes: 5, baselines: false } });

/** Trains until `stopAfter`, then resumes after `damage` to the run directory; what resuming reported. */
async function resumeAfter(dir: string, damage: (latest: string) => Promise<void>) {
  const abort = new AbortController();
  await trainRun({ dataset, config, dir, signal: abort.signal, onProgress: (p) => void (p.iteration === 12 && abort.abort()) });
  const latest = (await readPointer(dir, 'latest'))!;
  assert.equal(latest.iteration, 12, 'the cancelled run saved where it stopped');
  await damage(join(dir, latest.checkpoint));
  const fallbacks: ResumePoint[] = [];
  let firstIteration: number | null = null;
  const result = await trainRun({
    dataset,
    config,
    dir,
    resume: true,
    onResumeFallback: (point) => void fallbacks.push(point),
    onProgress: (p) => void (firstIteration ??= p.iteration),
  });
  return { result, fallbacks, firstIteration };
}

test('truncated weights in the newest checkpoint: resume falls back to the previous one', async () => {
  await useTestBackend();
  await withTempDir(async (dir) => {
    const { result, fallbacks, firstIteration } = await resumeAfter(dir, (latest) => truncate(join(latest, 'weights.bin'), 10));
    assert.equal(fallbacks.length, 1);
    assert.deepEqual(fallbacks[0].skipped.map((s) => s.name), ['ckpt-0000012']);
    assert.match(fallbacks[0].skipped[0].reason, /weights.bin has 10 bytes/);
    assert.equal(fallbacks[0].checkpoint, join(dir, 'ckpt-0000010'));
    assert.equal(firstIteration, 11, 'continued after iteration 10');
    assert.match(describeResumeFallback(fallbacks[0]), /skipped ckpt-0000012 \(.*\); resuming from ckpt-0000010$/);
    assert.equal(result.status, 'completed');
    assert.equal(result.iterations, 30);
    assert.ok(!(await readdir(dir)).includes('ckpt-0000012'), 'the corrupt checkpoint was pruned');
  });
});

test('a manifest that is not JSON: resume falls back; none sound at all: starts afresh', async () => {
  await useTestBackend();
  await withTempDir(async (dir) => {
    const { fallbacks, firstIteration } = await resumeAfter(dir, (latest) => writeFile(join(latest, 'manifest.json'), '{"format": "fewsh'));
    assert.match(fallbacks[0].skipped[0].reason, /manifest.json is not valid JSON/);
    assert.equal(firstIteration, 11);
  });
  await withTempDir(async (dir) => {
    const { result, fallbacks, firstIteration } = await resumeAfter(dir, async () => {
      for (const entry of await readdir(dir)) if (entry.startsWith('ckpt-')) await truncate(join(dir, entry, 'weights.bin'), 0);
    });
    assert.equal(fallbacks[0].checkpoint, null);
    assert.ok(fallbacks[0].skipped.length >= 2);
    assert.match(describeResumeFallback(fallbacks[0]), /starting afresh$/);
    assert.equal(firstIteration, 1);
    assert.equal(result.status, 'completed');
  });
});
