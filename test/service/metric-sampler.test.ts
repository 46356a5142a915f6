// The metric history's sampling: every iteration on short runs, a bounded number of window
// means on long ones, validations where they ran, and the start and end of later phases.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Progress } from '../../src/service/core.js';
import type { MetricPoint } from '../../src/service/schemas/job-metrics.js';
import { MAX_POINTS, MetricSampler } from '../../src/service/queue/metric-sampler.js';

const progress = (iteration: number, iterations: number, extra: Partial<Progress> = {}): Progress => ({
  iteration,
  iterations,
  loss: iteration,
  accuracy: 0.5,
  validationAccuracy: null,
  tasksPerSecond: 10,
  etaSeconds: 1,
  phase: 'meta-training',
  evaluation: null,
  ...extra,
});

function run(iterations: number, validationEvery: number, from = 1): MetricPoint[] {
  const sampler = new MetricSampler({ iterations, validationEvery });
  const points: MetricPoint[] = [];
  for (let i = from; i <= iterations; i++) {
    const validated = validationEvery > 0 && i % validationEvery === 0;
    // The run reports the latest validation accuracy on every iteration after it.
    const point = sampler.offer(progress(i, iterations, { validationAccuracy: i >= validationEvery ? (validated ? i / iterations : 0.123) : null }));
    if (point) points.push(point);
  }
  return points;
}

test('a short run keeps every iteration, with validation accuracy only where validation ran', () => {
  const points = run(40, 10);
  assert.deepEqual(
    points.map((p) => p.iteration),
    Array.from({ length: 40 }, (_, i) => i + 1),
  );
  assert.deepEqual(
    points.filter((p) => p.validationAccuracy !== null).map((p) => [p.iteration, p.validationAccuracy]),
    [10, 20, 30, 40].map((i) => [i, i / 40]),
  );
  assert.ok(points.every((p) => p.loss === p.iteration && p.phase === 'meta-training' && !Number.isNaN(Date.parse(p.time))));
});

test('a long run is bounded: window means, and at most MAX_POINTS validations', () => {
  const iterations = 1_000_000;
  const points = run(iterations, 1);
  const validations = points.filter((p) => p.validationAccuracy !== null);
  assert.ok(points.length <= 2 * MAX_POINTS + 1, `${points.length} points`);
  assert.ok(validations.length <= MAX_POINTS && validations.length >= MAX_POINTS / 2, `${validations.length} validations`);
  assert.equal(points.at(-1)!.iteration, iterations);
  // Each point's loss is the mean of the losses (= iteration numbers) since the previous point.
  for (let i = 1; i < points.length; i++) {
    const [from, to] = [points[i - 1].iteration + 1, points[i].iteration];
    assert.equal(points[i].loss, (from + to) / 2);
  }
  assert.ok(points.every((p, i) => i === 0 || p.iteration > points[i - 1].iteration));
});

test('a resumed run keeps the same windows', () => {
  const whole = run(10_000, 0);
  const resumed = run(10_000, 0, 5001);
  assert.deepEqual(
    resumed.map((p) => p.iteration),
    whole.filter((p) => p.iteration > 5000).map((p) => p.iteration),
  );
});

test('later phases record where they start and where they end', () => {
  const sampler = new MetricSampler({ iterations: 2, validationEvery: 0 });
  const offered = [
    progress(1, 2),
    progress(2, 2),
    ...[1, 2, 3, 4].map((done) => progress(2, 2, { phase: 'evaluation', evaluation: { done, episodes: 4 } })),
  ];
  const points = offered.map((p) => sampler.offer(p)).filter((p) => p !== null);
  assert.deepEqual(
    points.map((p) => [p.iteration, p.phase]),
    [
      [1, 'meta-training'],
      [2, 'meta-training'],
      [2, 'evaluation'],
      [2, 'evaluation'],
    ],
  );
  assert.equal(points[2].validationAccuracy, null);
});
