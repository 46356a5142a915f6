import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { fitTfidfSvd } from '../../../../src/core/data/text/tfidf-svd.js';
import { truncatedSvd, type SparseRows } from '../../../../src/core/data/text/randomized-svd.js';
import { fitTextFeatures, resolveTextFeatures, withTextFeatures } from '../../../../src/core/data/text/dataset-text.js';
import { buildDataset } from '../../../../src/core/data/raw-examples.js';
import { CoreError } from '../../../../src/core/errors.js';
import { Random } from '../../../../src/core/random.js';

const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));
const features = (f: { write(t: string, o: Float32Array): void }, dim: number, text: string) => {
  const out = new Float32Array(dim);
  f.write(text, out);
  return out;
};

const CORPUS = [
  'stocks fall as rates rise',
  'stocks rise as rates fall',
  'bank rates and stocks',
  'chocolate cake recipe',
  'easy cake recipe for kids',
  'chocolate pudding recipe',
  'the cup final goes to penalties',
  'penalties decide the cup',
  'a unique word here', // 'unique', 'word', 'here' occur once
];

test('vocabulary keeps words in at least minDocumentFrequency texts, most frequent first, up to the cap', () => {
  const model = fitTfidfSvd(CORPUS, { dim: 4, seed: 1 });
  const { vocabulary, idf } = model.state;
  assert.ok(!vocabulary.includes('unique') && !vocabulary.includes('here'));
  assert.deepEqual(vocabulary.slice(0, 3), ['rates', 'recipe', 'stocks']); // 3 texts each, code-unit order
  // Smooth IDF: ln((1 + 9) / (1 + df)) + 1.
  assert.ok(Math.abs(idf[vocabulary.indexOf('recipe')] - (Math.log(10 / 4) + 1)) < 1e-6);
  assert.ok(Math.abs(idf[vocabulary.indexOf('cake')] - (Math.log(10 / 3) + 1)) < 1e-6);
  const capped = fitTfidfSvd(CORPUS, { dim: 2, seed: 1, maxVocabulary: 3, minDocumentFrequency: 1 });
  assert.equal(capped.state.vocabulary.length, 3);
  assert.equal(fitTfidfSvd(CORPUS, { dim: 2, seed: 1, minDocumentFrequency: 1 }).state.vocabulary.includes('unique'), true);
});

test('features are L2-normalised, related texts land close, and unseen words give zeros', () => {
  const model = fitTfidfSvd(CORPUS, { dim: 4, seed: 1 });
  const stocks = features(model, 4, 'stocks and rates');
  const cake = features(model, 4, 'cake recipe');
  assert.ok(Math.abs(norm(stocks) - 1) < 1e-5 && Math.abs(norm(cake) - 1) < 1e-5);
  const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);
  assert.ok(dot(stocks, features(model, 4, 'rates rise')) > dot(stocks, cake) + 0.3);
  assert.ok(features(model, 4, 'zebra quantum xylophone').every((v) => v === 0));
  assert.ok(features(model, 4, '').every((v) => v === 0));
  // Sublinear TF: repeating a word changes nothing once the vector is normalised... unless other words share the text.
  assert.deepEqual(features(model, 4, 'cake cake cake'), features(model, 4, 'cake'));
  assert.notDeepEqual(features(model, 4, 'cake cake cake recipe'), features(model, 4, 'cake recipe'));
});

test('the randomised SVD finds the top singular subspace of a sparse matrix', () => {
  const rng = new Random(5);
  const [m, n, topics] = [60, 40, 6];
  // Documents mixing one or two of six sparse topics, plus a little noise: a clear spectral gap.
  const topicWords = Array.from({ length: topics }, () => Array.from({ length: 8 }, () => rng.int(n)));
  const a = new Matrix(m, n);
  for (let i = 0; i < m; i++) {
    for (const t of [rng.int(topics), rng.int(topics)]) {
      const weight = 1 + rng.next();
      for (const j of topicWords[t]) a.set(i, j, a.get(i, j) + weight + 0.01 * rng.normal());
    }
  }
  const rowStart = new Int32Array(m + 1);
  const cols: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) if (a.get(i, j) !== 0) (cols.push(j), values.push(a.get(i, j)));
    rowStart[i + 1] = cols.length;
  }
  const sparse: SparseRows = { rows: m, cols: n, rowStart, colIndex: Int32Array.from(cols), values: Float64Array.from(values) };
  const exact = new SingularValueDecomposition(a);
  const k = 4;
  const { basis, singularValues } = truncatedSvd(sparse, k, new Random(1));
  for (let j = 0; j < k; j++) {
    assert.ok(Math.abs(singularValues[j] - exact.diagonal[j]) < 1e-6 * exact.diagonal[0], `sigma ${j}: ${singularValues[j]} vs ${exact.diagonal[j]}`);
    // Same direction up to sign.
    let dot = 0;
    for (let r = 0; r < n; r++) dot += basis[r * k + j] * exact.rightSingularVectors.get(r, j);
    assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-6, `vector ${j}: |cos| = ${Math.abs(dot)}`);
  }
  // More directions than the matrix's rank: the extra ones are zero.
  const tiny: SparseRows = { rows: 2, cols: 3, rowStart: Int32Array.from([0, 1, 2]), colIndex: Int32Array.from([0, 0]), values: Float64Array.from([1, 2]) };
  const wide = truncatedSvd(tiny, 3, new Random(1));
  assert.ok(Math.abs(wide.singularValues[0] - Math.sqrt(5)) < 1e-9);
  assert.deepEqual([...wide.singularValues.slice(1)], [0, 0]);
  assert.ok(wide.basis.every((x, i) => i % 3 === 0 || x === 0));
});

test('a run fits tfidf-svd on its meta-train classes only, and the dataset choice and the run choice combine', async () => {
  const examples = [
    ...['stocks fall', 'stocks rise', 'bank stocks'].map((text) => ({ label: 'markets', text })),
    ...['cake recipe', 'pudding recipe', 'easy cake'].map((text) => ({ label: 'food', text })),
    ...['zebra herd', 'zebra stripes', 'lions hunt zebra'].map((text) => ({ label: 'wildlife', text })),
    { label: 'wildlife', vector: [1] },
  ];
  const ds = await buildDataset('news', examples, { text: { features: 'tfidf-svd', dim: 3 } });
  assert.equal(ds.texts?.length, examples.length);
  assert.deepEqual(resolveTextFeatures(undefined, ds), { features: 'tfidf-svd', dim: 3 });
  assert.deepEqual(resolveTextFeatures({ dim: 5 }, ds), { features: 'tfidf-svd', dim: 5 });
  assert.deepEqual(resolveTextFeatures({ features: 'hashing' }, ds), { features: 'hashing', dim: 1024 });
  assert.deepEqual(resolveTextFeatures({ features: 'hashing', dim: 4096 }, ds), { features: 'hashing', dim: 4096 });
  assert.throws(() => resolveTextFeatures({ dim: 2048 }, ds), (e: unknown) => e instanceof CoreError && /tfidf-svd text features are 1 to 1024 wide, not 2048/.test(e.message));

  const wildlife = ds.classNames.indexOf('wildlife');
  const trainClasses = [0, 1, 2].filter((c) => c !== wildlife);
  const fitted = fitTextFeatures(ds, { features: 'tfidf-svd', dim: 3 }, trainClasses, 1)!;
  const vocabulary = (fitted as unknown as { state: { vocabulary: string[] } }).state.vocabulary;
  assert.ok(vocabulary.includes('stocks') && vocabulary.includes('recipe'));
  assert.ok(!vocabulary.includes('zebra'), 'a test-class word never enters the vocabulary');

  const featurised = withTextFeatures(ds, fitted);
  assert.deepEqual(featurised.rows.spec, { text: { features: 3 }, vector: { dim: 1 } });
  assert.equal(featurised.texts, undefined);
  assert.deepEqual([...featurised.rows.present.text!], [...ds.rows.present.text!]);
  const row = ds.texts!.indexOf('zebra herd');
  assert.ok(featurised.rows.text!.subarray(row * 3, row * 3 + 3).every((v) => v === 0), 'only unseen words: zeros');
  assert.deepEqual(featurised.rows.vector, ds.rows.vector);

  const { texts: _dropped, ...legacy } = ds;
  assert.throws(
    () => fitTextFeatures(legacy, { features: 'tfidf-svd', dim: 3 }, trainClasses, 1),
    (e: unknown) => e instanceof CoreError && /keeps no raw text/.test(e.message),
  );
  assert.equal(fitTextFeatures({ ...ds, rows: { ...ds.rows, spec: { vector: { dim: 1 } } } }, { features: 'hashing', dim: 8 }, [0], 1), null);
});
