// `fewshot train` and `fewshot eval` on a saved dataset of text and pen strokes, choosing the
// text features on the command line: the run fits them, its checkpoint carries them, and eval
// featurises the raw dataset with them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildDataset } from '../../src/core/data/raw-examples.js';
import { saveDataset } from '../../src/core/data/dataset-file.js';
import { readManifest } from '../../src/core/checkpoint/checkpoint.js';
import { evalCommand, trainCommand } from '../../src/cli/train-commands.js';
import { captureIo } from '../helpers/command-io.js';
import { TEST_BACKEND } from '../helpers/backend.js';
import { multimodalExamples, only } from '../helpers/multimodal-examples.js';
import { withTempDir } from '../helpers/runs.js';

test('train with --text-features on text + strokes, then eval the checkpoint', async () => {
  await withTempDir(async (dir) => {
    const examples = (await multimodalExamples({ classes: 10, perClass: 6, seed: 5 })).map((e) => only(e, ['text', 'strokes']));
    const file = join(dir, 'notes.fsds');
    await saveDataset(file, await buildDataset('notes', examples, { strokePoints: 16 }));
    const flags = ['--ways', '3', '--shots', '1', '--queries', '3', '--meta-batch', '1', '--hidden', '16', '--filters', '4'];
    const train = captureIo();
    const code = await trainCommand(
      [
        '--dataset', file, '--algorithm', 'protonet', ...flags, '--text-features', 'tfidf-svd', '--text-dim', '12',
        '--iterations', '4', '--val-every', '0', '--eval-episodes', '5', '--no-baselines', '--out', join(dir, 'run'),
        '--backend', TEST_BACKEND, '--json',
      ],
      train,
    );
    assert.equal(code, 0, train.stderr);
    const summary = JSON.parse(train.stdout);
    assert.deepEqual(summary.config.text, { features: 'tfidf-svd', dim: 12 });
    const manifest = await readManifest(summary.bestCheckpoint);
    assert.deepEqual(manifest.spec, { text: { features: 12 }, strokes: { points: 16 } });
    assert.equal(manifest.text?.features, 'tfidf-svd');

    const evaluation = captureIo();
    assert.equal(await evalCommand(['--checkpoint', summary.bestCheckpoint, '--dataset', file, '--episodes', '5', '--no-baselines', '--json'], evaluation), 0, evaluation.stderr);
    assert.equal(JSON.parse(evaluation.stdout).evaluation.episodes, 5);

    const bad = captureIo();
    assert.equal(await trainCommand(['--dataset', file, '--out', dir, '--text-features', 'bag-of-words'], bad), 2);
    assert.match(bad.stderr, /--text-features must be one of tfidf-svd, hashing, got 'bag-of-words'/);
  });
});
