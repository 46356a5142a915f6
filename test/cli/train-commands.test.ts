import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { evalCommand, trainCommand } from '../../src/cli/train-commands.js';
import { captureIo } from '../helpers/command-io.js';
import { TEST_BACKEND } from '../helpers/backend.js';
import { withTempDir } from '../helpers/runs.js';

const tiny = ['--ways', '3', '--shots', '1', '--queries', '3', '--meta-batch', '2', '--hidden', '16'];

test('train on synthetic clusters prints one JSON report with an evaluation; eval re-scores its checkpoint', async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, 'run');
    const train = captureIo();
    const code = await trainCommand(
      [
        '--dataset', 'synthetic:clusters', '--algorithm', 'protonet', ...tiny,
        // Baselines would pre-train a network for ~10 s; the core tests them.
        '--iterations', '6', '--val-every', '3', '--val-episodes', '5', '--eval-episodes', '20', '--no-baselines',
        '--out', out, '--backend', TEST_BACKEND, '--json',
      ],
      train,
    );
    assert.equal(code, 0, train.stderr);
    const lines = train.stdout.trim().split('\n');
    assert.equal(lines.length, 1, 'stdout holds only the JSON report');
    const summary = JSON.parse(lines[0]);
    assert.equal(summary.status, 'completed');
    assert.equal(summary.iterations, 6);
    assert.equal(summary.evaluation.episodes, 20);
    assert.ok(summary.evaluation.accuracy.mean > 0 && summary.evaluation.accuracy.ci95 >= 0);
    assert.equal(summary.evaluation.baselines, null);
    assert.equal(summary.config.algorithm, 'protonet');
    assert.ok(existsSync(join(summary.bestCheckpoint, 'manifest.json')));
    assert.match(train.stderr, /^backend: /m);
    assert.match(train.stderr, /\[train\] 6\/6 loss /, 'non-TTY progress logs lines');

    const evaluation = captureIo();
    const evalCode = await evalCommand(
      ['--checkpoint', out, '--dataset', 'synthetic:clusters', '--episodes', '10', '--no-baselines', '--json'],
      evaluation,
    );
    assert.equal(evalCode, 0, evaluation.stderr);
    const report = JSON.parse(evaluation.stdout);
    assert.equal(report.checkpoint, summary.bestCheckpoint);
    assert.equal(report.evaluation.episodes, 10);
    assert.equal(report.evaluation.baselines, null);

    const text = captureIo();
    assert.equal(await evalCommand(['--checkpoint', summary.bestCheckpoint, '--dataset', 'synthetic:clusters', '--episodes', '5', '--no-baselines'], text), 0);
    assert.match(text.stdout, /test accuracy\s+\d+\.\d\d% ± \d+\.\d\d%/);
  });
});

test('Ctrl-C stops training between iterations and still reports, as cancelled', async () => {
  await withTempDir(async (dir) => {
    const io = captureIo();
    const err = io.err;
    // The first progress line (iteration 10 of 200) stands in for a user pressing Ctrl-C.
    io.err = (text) => {
      err(text);
      if (text.startsWith('[train] 10/')) process.emit('SIGINT');
    };
    const code = await trainCommand(
      ['--dataset', 'synthetic:clusters', '--algorithm', 'protonet', ...tiny, '--iterations', '200', '--val-every', '0', '--out', dir, '--json'],
      io,
    );
    assert.equal(code, 130);
    const summary = JSON.parse(io.stdout);
    assert.equal(summary.status, 'cancelled');
    assert.equal(summary.iterations, 10);
    assert.equal(summary.evaluation, null);
    assert.ok(existsSync(join(summary.bestCheckpoint, 'manifest.json')));
    assert.equal(process.listenerCount('SIGINT'), 0, 'the handler is removed after the run');
  });
});

test('an unknown dataset source fails with a clear message and a non-zero exit', async () => {
  await withTempDir(async (dir) => {
    const io = captureIo();
    const code = await trainCommand(['--dataset', 'mnist:/nowhere', '--out', dir, '--backend', TEST_BACKEND], io);
    assert.notEqual(code, 0);
    assert.equal(io.stdout, '');
    assert.match(io.stderr, /unknown dataset source 'mnist:\/nowhere'.*omniglot:<dir-or-zip>/);
    const synthetic = captureIo();
    assert.equal(await trainCommand(['--dataset', 'synthetic:faces', '--out', dir, '--backend', TEST_BACKEND], synthetic), 1);
    assert.match(synthetic.stderr, /synthetic kinds are clusters, images/);
  });
});

test('--norm picks the image encoder\'s normalisation; the checkpoint records it and eval scores with it', async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, 'run');
    const train = captureIo();
    const args = ['--dataset', 'synthetic:images', '--algorithm', 'fomaml', ...tiny, '--filters', '4', '--norm', 'tasknorm'];
    const code = await trainCommand(
      [...args, '--iterations', '2', '--val-every', '0', '--eval-episodes', '5', '--no-baselines', '--out', out, '--backend', TEST_BACKEND, '--json'],
      train,
    );
    assert.equal(code, 0, train.stderr);
    const summary = JSON.parse(train.stdout);
    assert.equal(summary.config.model.norm, 'tasknorm');
    const manifest = JSON.parse(await readFile(join(summary.bestCheckpoint, 'manifest.json'), 'utf8'));
    assert.equal(manifest.config.model.norm, 'tasknorm');
    assert.ok(manifest.params.some((p: { name: string }) => p.name === 'image.block1.bn.alpha.scale'), 'TaskNorm\'s α parameters are saved');
    const evaluation = captureIo();
    assert.equal(await evalCommand(['--checkpoint', out, '--dataset', 'synthetic:images', '--episodes', '5', '--no-baselines', '--json'], evaluation), 0, evaluation.stderr);
    assert.equal(JSON.parse(evaluation.stdout).evaluation.episodes, 5);
  });
});

test('bad flags are usage errors', async () => {
  const norm = captureIo();
  assert.equal(await trainCommand(['--dataset', 'synthetic:clusters', '--out', 'x', '--norm', 'batch'], norm), 2);
  assert.match(norm.stderr, /--norm must be one of tasknorm, support, instance, got 'batch'/);
  const io = captureIo();
  assert.equal(await trainCommand(['--dataset', 'synthetic:clusters', '--out', 'x', '--ways', 'five'], io), 2);
  assert.match(io.stderr, /--ways must be an integer >= 2, got 'five'/);
  const eval_ = captureIo();
  assert.equal(await evalCommand(['--dataset', 'synthetic:clusters'], eval_), 2);
  assert.match(eval_.stderr, /--checkpoint is required/);
});

test('--algorithm metasgd and anil train, resume and re-evaluate from the command line', async () => {
  await withTempDir(async (dir) => {
    for (const algorithm of ['metasgd', 'anil']) {
      const out = join(dir, algorithm);
      const args = ['--dataset', 'synthetic:clusters', '--algorithm', algorithm, ...tiny, '--val-every', '0', '--eval-episodes', '5', '--no-baselines', '--out', out, '--backend', TEST_BACKEND, '--json'];
      const first = captureIo();
      assert.equal(await trainCommand([...args, '--iterations', '2', '--checkpoint-every', '2'], first), 0, first.stderr);
      const resumed = captureIo();
      assert.equal(await trainCommand([...args, '--iterations', '4', '--resume'], resumed), 0, resumed.stderr);
      const summary = JSON.parse(resumed.stdout);
      assert.equal(summary.config.algorithm, algorithm);
      assert.equal(summary.iterations, 4);
      const evaluation = captureIo();
      assert.equal(await evalCommand(['--checkpoint', out, '--dataset', 'synthetic:clusters', '--episodes', '5', '--no-baselines', '--json'], evaluation), 0, evaluation.stderr);
      assert.equal(JSON.parse(evaluation.stdout).evaluation.episodes, 5);
    }
  });
});
