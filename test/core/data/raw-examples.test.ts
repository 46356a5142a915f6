import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { CoreError } from '../../../src/core/errors.js';
import { buildDataset, featurize, inferSpec, type RawExample } from '../../../src/core/data/raw-examples.js';
import { writeHashedText } from '../../../src/core/data/text/hashing.js';

const invalid = (pattern: RegExp) => (error: unknown) =>
  error instanceof CoreError && error.code === 'invalid_data' && pattern.test(error.message);

const whitePng = () => sharp({ create: { width: 10, height: 10, channels: 3, background: '#ffffff' } }).png().toBuffer();

test('inferSpec covers each modality that occurs, with defaults', async () => {
  const png = await whitePng();
  assert.deepEqual(inferSpec([{ image: png }, { text: 'hi', vector: [1, 2, 3] }]), {
    image: { height: 28, width: 28, channels: 1 },
    text: { features: 1024 },
    vector: { dim: 3 },
  });
  assert.deepEqual(inferSpec([{ image: png }], { imageSize: 32, channels: 3, invert: true }), {
    image: { height: 32, width: 32, channels: 3, invert: true },
  });
  assert.deepEqual(inferSpec([{ text: 'a' }], { text: { features: 'hashing', dim: 64 } }), { text: { features: 64 } });
  // Fitted text features are fitted by runs; the dataset keeps hashed features of the default width.
  assert.deepEqual(inferSpec([{ text: 'a' }], { text: { features: 'tfidf-svd', dim: 64 } }), { text: { features: 1024 } });
  assert.deepEqual(inferSpec([{ strokes: [[[0, 0]]] }], { strokePoints: 16 }), { strokes: { points: 16 } });
});

test('inferSpec rejects disagreeing vector widths, naming the example, and empty input', () => {
  assert.throws(() => inferSpec([{ vector: [1, 2] }, { text: 'x' }, { vector: [1, 2, 3] }]), invalid(/example 2: vector has length 3, but example 0 has 2/));
  assert.throws(() => inferSpec([]), invalid(/no example/));
  assert.throws(() => inferSpec([{ label: 'a' }]), invalid(/no example/));
});

test('featurize fills present modalities and zero-masks missing ones', async () => {
  const png = await whitePng();
  const examples: RawExample[] = [
    { image: png, text: 'hello world', vector: [1, 2] },
    { text: 'only text' },
    { image: png.toString('base64'), vector: [3, 4] },
  ];
  const spec = inferSpec(examples, { imageSize: 4, text: { features: 'hashing', dim: 32 } });
  const rows = await featurize(examples, spec);
  assert.equal(rows.n, 3);
  assert.deepEqual([...rows.present.image!], [1, 0, 1]);
  assert.deepEqual([...rows.present.text!], [1, 1, 0]);
  assert.deepEqual([...rows.present.vector!], [1, 0, 1]);
  assert.deepEqual([...rows.vector!], [1, 2, 0, 0, 3, 4]);
  const hashed = new Float32Array(32);
  writeHashedText('only text', hashed);
  assert.deepEqual(rows.text!.subarray(32, 64), hashed);
  assert.ok(rows.text!.subarray(64).every((v) => v === 0));
  assert.ok(rows.image!.subarray(0, 16).every((v) => Math.abs(v - 1) < 1e-6));
  assert.ok(rows.image!.subarray(16, 32).every((v) => v === 0));
});

test('featurize rejects modalities outside the spec, empty rows and bad values', async () => {
  const spec = { vector: { dim: 2 } };
  await assert.rejects(featurize([{ vector: [1, 2] }, { text: 'x' }], spec), invalid(/example 1: has a text, but the input spec takes none/));
  await assert.rejects(featurize([{ label: 'a' }], spec), invalid(/example 0: has no image, text, vector or strokes/));
  await assert.rejects(featurize([{ vector: [1, 2] }, { strokes: [[[1, 2]]] }], spec), invalid(/example 1: has strokes, but the input spec takes none/));
  await assert.rejects(featurize([{ vector: [1] }], spec), invalid(/example 0: vector must be an array of 2 numbers/));
  await assert.rejects(featurize([{ vector: [1, Number.NaN] }], spec), invalid(/not a finite number/));
  await assert.rejects(
    featurize([{ image: Buffer.from('nope') }], { image: { height: 4, width: 4, channels: 1 } }),
    invalid(/example 0: cannot decode image/),
  );
});

test('buildDataset sorts class names and needs every label', async () => {
  const ds = await buildDataset('pets', [
    { label: 'dog', vector: [1] },
    { label: 'cat', vector: [2] },
    { label: 'dog', vector: [3] },
  ]);
  assert.deepEqual(ds.classNames, ['cat', 'dog']);
  assert.deepEqual([...ds.labels], [1, 0, 1]);
  assert.deepEqual(ds.rows.spec, { vector: { dim: 1 } });
  const reordered = await buildDataset('pets', [{ label: 'cat', vector: [2] }, { label: 'dog', vector: [1] }]);
  assert.deepEqual(reordered.classNames, ds.classNames);
  await assert.rejects(buildDataset('x', [{ label: 'a', vector: [1] }, { vector: [2] }]), invalid(/example 1: needs a label/));
  const fixed = await buildDataset('x', [{ label: 'a', vector: [1] }], { spec: { vector: { dim: 1 }, text: { features: 8 } } });
  assert.deepEqual([...fixed.rows.present.text!], [0]);
});
