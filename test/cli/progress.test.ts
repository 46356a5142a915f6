// The CLI's training progress: a bar redrawn in place on a terminal, plain lines elsewhere.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, percent, progressReporter } from '../../src/cli/progress.js';
import type { Progress } from '../../src/core/index.js';

const progress = (iteration: number, over: Partial<Progress> = {}): Progress => ({
  iteration,
  iterations: 100,
  loss: 1.23456,
  accuracy: 0.5,
  validationAccuracy: null,
  tasksPerSecond: 12.34,
  etaSeconds: 75,
  phase: 'meta-training',
  evaluation: null,
  ...over,
});

function capture(isTTY: boolean, columns?: number) {
  const writes: string[] = [];
  return { writes, reporter: progressReporter({ write: (text) => writes.push(text), isTTY, columns }) };
}

test('on a terminal the bar is redrawn in place, at most every 100 ms, and always at the end', () => {
  const { writes, reporter } = capture(true);
  reporter.update(progress(25));
  assert.deepEqual(writes, ['\r\x1b[2K[####............] 25/100 loss 1.235 acc 50.0% val - 12.3 tasks/s ETA 1m15s']);
  reporter.update(progress(26)); // within 100 ms of the last redraw: skipped
  assert.equal(writes.length, 1);
  reporter.update(progress(100, { validationAccuracy: 0.625, etaSeconds: 0 }));
  assert.equal(writes.length, 2);
  assert.equal(writes[1], '\r\x1b[2K[################] 100/100 loss 1.235 acc 50.0% val 62.5% 12.3 tasks/s ETA 0s');
  reporter.finish();
  reporter.finish();
  assert.deepEqual(writes.slice(2), ['\n'], 'the line is ended once');
});

test('the bar is cut to the terminal width, and shows test episodes while the run evaluates', () => {
  const { writes, reporter } = capture(true, 30);
  reporter.update(progress(100, { phase: 'evaluation', evaluation: { done: 50, episodes: 50 }, etaSeconds: 4000 }));
  assert.equal(writes[0], `\r\x1b[2K${'[################] evaluating 50/50 test episodes ETA 1h06m'.slice(0, 29)}`);
  const wide = capture(true);
  wide.reporter.update(progress(100, { phase: 'evaluation', evaluation: { done: 10, episodes: 40 } }));
  assert.match(wide.writes[0], /^\r\x1b\[2K\[####\.{12}\] evaluating 10\/40 test episodes ETA 1m15s$/);
});

test('elsewhere, a plain line every 5% and at the end; nothing to finish', () => {
  const { writes, reporter } = capture(false);
  for (let i = 1; i <= 100; i++) reporter.update(progress(i));
  assert.equal(writes.length, 20);
  assert.equal(writes[0], '[train] 5/100 loss 1.235 acc 50.0% val - 12.3 tasks/s ETA 1m15s\n');
  assert.ok(writes.at(-1)!.startsWith('[train] 100/100 '));
  for (let done = 1; done <= 7; done++) reporter.update(progress(100, { phase: 'evaluation', evaluation: { done, episodes: 7 } }));
  assert.equal(writes.length, 27, 'with fewer episodes than 20 steps, every one');
  assert.equal(writes.at(-1), '[eval] evaluating 7/7 test episodes ETA 1m15s\n');
  reporter.finish();
  assert.equal(writes.length, 27);
});

test('durations and percentages as the reports print them', () => {
  assert.deepEqual([0, 59.4, 60, 3599, 3600, 7325].map(formatDuration), ['0s', '59s', '1m00s', '59m59s', '1h00m', '2h02m']);
  assert.equal(formatDuration(Infinity), '?');
  assert.deepEqual([percent(0.1234), percent(null), percent(NaN)], ['12.3%', '-', '-']);
});
