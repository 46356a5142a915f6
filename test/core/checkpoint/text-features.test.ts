// TF-IDF + SVD features fitted by a run travel in its checkpoints: serving featurises new text
// from the checkpoint alone, exactly as the run did; a resumed run and `fewshot eval` use them
// too, and a damaged file is refused by name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildDataset } from '../../../src/core/data/raw-examples.js';
import { fitTextFeatures } from '../../../src/core/data/text/dataset-text.js';
import { loadPredictor } from '../../../src/core/adaptation/predictor.js';
import { readManifest } from '../../../src/core/checkpoint/checkpoint.js';
import { readTextFeatures } from '../../../src/core/checkpoint/text-features.js';
import { evaluateCheckpoint } from '../../../src/core/evaluation/evaluate.js';
import { trainRun } from '../../../src/core/training/run.js';
import { streamSeed } from '../../../src/core/training/streams.js';
import { CoreError } from '../../../src/core/errors.js';
import { useTestBackend } from '../../helpers/backend.js';
import { multimodalExamples, only } from '../../helpers/multimodal-examples.js';
import { tinyConfig, withTempDir } from '../../helpers/runs.js';

const text = (rows: { text?: Float32Array; spec: { text?: { features: number } } }, row: number) =>
  rows.text!.subarray(row * rows.spec.text!.features, (row + 1) * rows.spec.text!.features);

test('fit on meta-train classes, save in the checkpoint, featurise new text from the checkpoint alone', async () => {
  await useTestBackend();
  const examples = (await multimodalExamples({ classes: 10, perClass: 6, seed: 3 })).map((e) => only(e, ['text', 'vector']));
  const dataset = await buildDataset('words', examples, { text: { features: 'tfidf-svd', dim: 8 } });
  await withTempDir(async (dir) => {
    const config = tinyConfig({ algorithm: 'protonet', outer: { iterations: 4, metaBatchSize: 1, lr: 1e-3 }, checkpointEvery: 2 });
    const { bestCheckpoint } = await trainRun({ dataset, config, dir });
    const manifest = await readManifest(bestCheckpoint);
    assert.deepEqual(manifest.config.text, { features: 'tfidf-svd', dim: 8 });
    assert.deepEqual(manifest.spec.text, { features: 8 });
    assert.ok(manifest.files['text-vocabulary.json'] && manifest.files['text-features.bin']);
    const vocabulary = JSON.parse(await readFile(join(bestCheckpoint, 'text-vocabulary.json'), 'utf8')) as string[];
    assert.equal(vocabulary.length, manifest.text?.vocabulary);

    // Only meta-train texts were fitted on: the same fit from those classes is the saved one.
    const trainClasses = manifest.split.train.map((v) => v.classId);
    const refit = fitTextFeatures(dataset, { features: 'tfidf-svd', dim: 8 }, trainClasses, streamSeed(config.seed, 'init'))!;
    const saved = (await readTextFeatures(bestCheckpoint, manifest))!;
    const predictor = await loadPredictor(bestCheckpoint);
    const headlines = ['never seen words only', examples[0].text!, `${examples[7].text} plus unknown words`];
    const rows = await predictor.featurize(headlines.map((t) => ({ text: t })));
    headlines.forEach((headline, row) => {
      const expected = new Float32Array(8);
      refit.write(headline, expected);
      assert.deepEqual(text(rows, row), expected);
      const fromFile = new Float32Array(8);
      saved.write(headline, fromFile);
      assert.deepEqual(fromFile, expected);
    });
    assert.ok(text(rows, 0).every((v) => v === 0), 'no known word: a zero vector');
    assert.ok(text(rows, 1).some((v) => v !== 0));
    // A query of unknown words still gets (finite) scores.
    const support = await predictor.featurize([examples[0], examples[6]].map((e) => only(e, ['text'])));
    const task = predictor.adapt(support, Int32Array.from([0, 1]), 2);
    assert.ok((await task.predict(await predictor.featurize([{ text: 'zzz qqq' }]))).every(Number.isFinite));
    task.dispose();
    predictor.dispose();

    // `fewshot eval` featurises the raw dataset with the checkpoint's features.
    const report = await evaluateCheckpoint(bestCheckpoint, dataset, { episodes: 5, baselines: false });
    assert.equal(report?.episodes, 5);

    // Resuming reads the features back rather than fitting again, and keeps saving them.
    const resumed = await trainRun({ dataset, config: { ...config, outer: { ...config.outer, iterations: 6 } }, dir, resume: true });
    const again = await readManifest(resumed.bestCheckpoint);
    assert.equal(again.files['text-features.bin'].sha256, manifest.files['text-features.bin'].sha256);

    // A damaged basis is refused, naming the file.
    const latest = join(dir, (await readdir(dir)).filter((f) => f.startsWith('ckpt-')).sort().at(-1)!);
    const bytes = await readFile(join(latest, 'text-features.bin'));
    bytes[10] ^= 0xff;
    await writeFile(join(latest, 'text-features.bin'), bytes);
    await assert.rejects(
      loadPredictor(latest),
      (e: unknown) => e instanceof CoreError && e.code === 'checkpoint_invalid' && /text-features\.bin fails its sha256/.test(e.message),
    );
  });
});

test('a hashing run stores no text files, and checkpoints from before text features still serve', async () => {
  await useTestBackend();
  const examples = (await multimodalExamples({ classes: 8, perClass: 5, seed: 4 })).map((e) => only(e, ['text']));
  const dataset = await buildDataset('words', examples, { text: { features: 'hashing', dim: 32 } });
  await withTempDir(async (dir) => {
    const { bestCheckpoint } = await trainRun({ dataset, config: tinyConfig({ algorithm: 'protonet', outer: { iterations: 2, metaBatchSize: 1, lr: 1e-3 } }), dir });
    const manifest = await readManifest(bestCheckpoint);
    assert.deepEqual(manifest.text, { features: 'hashing', dim: 32 });
    assert.equal(manifest.files['text-features.bin'], undefined);
    // An older manifest has neither `text` nor `config.text`: hashing at the spec's width.
    const { text: _entry, ...older } = manifest;
    await writeFile(join(bestCheckpoint, 'manifest.json'), JSON.stringify({ ...older, config: { ...manifest.config, text: undefined } }));
    const predictor = await loadPredictor(bestCheckpoint);
    const rows = await predictor.featurize([{ text: examples[0].text }]);
    assert.deepEqual(rows.text, dataset.rows.text!.subarray(0, 32));
    predictor.dispose();
  });
});
