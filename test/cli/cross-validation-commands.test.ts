// `fewshot train --folds K`: fold progress and results on stderr, the folds in the report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parseTrainArgs } from '../../src/cli/train-args.js';
import { trainCommand } from '../../src/cli/train-commands.js';
import { captureIo } from '../helpers/command-io.js';
import { TEST_BACKEND } from '../helpers/backend.js';
import { withTempDir } from '../helpers/runs.js';

test('train --folds 3: each fold scored on its held-out classes, shown while it runs, reported with mean ± std', async () => {
  await withTempDir(async (dir) => {
    const io = captureIo();
    const code = await trainCommand(
      [
        '--dataset', 'synthetic:clusters', '--algorithm', 'protonet', '--ways', '3', '--shots', '1', '--queries', '3',
        '--meta-batch', '2', '--hidden', '16', '--iterations', '6', '--val-every', '0', '--eval-episodes', '10', '--no-baselines',
        '--folds', '3', '--fold-iterations', '4', '--out', join(dir, 'run'), '--backend', TEST_BACKEND, '--json',
      ],
      io,
    );
    assert.equal(code, 0, io.stderr);
    const summary = JSON.parse(io.stdout);
    assert.equal(summary.config.crossValidation.folds, 3);
    assert.deepEqual(summary.crossValidation.folds.map((f: { fold: number }) => f.fold), [1, 2, 3]);
    assert.ok(summary.crossValidation.folds.every((f: { iterations: number; evaluation: { episodes: number } }) => f.iterations === 4 && f.evaluation.episodes === 10));
    assert.ok(summary.crossValidation.accuracy.mean > 0);
    assert.equal(summary.iterations, 6);
    assert.match(io.stderr, /\[fold\] fold 2\/3 4\/4 loss /);
    assert.match(io.stderr, /^fold 3: \d+\.\d% on 10 episodes of \d+ held-out classes$/m);
  });
});

test('--folds flags: default fold budget, scaled default evaluation, usage errors', () => {
  const base = ['--dataset', 'synthetic:clusters', '--out', 'x'];
  const options = parseTrainArgs([...base, '--folds', '4', '--iterations', '300']);
  assert.deepEqual(options.config.crossValidation, { folds: 4, iterations: 300 });
  assert.equal(options.config.evaluation.episodes, 192, 'one episode per 50 tasks meta-trained');
  assert.equal(parseTrainArgs(base).config.crossValidation, undefined);
  assert.throws(() => parseTrainArgs([...base, '--fold-iterations', '5']), /--fold-iterations needs --folds/);
  assert.throws(() => parseTrainArgs([...base, '--folds', '1']), /--folds must be an integer >= 2/);
});
