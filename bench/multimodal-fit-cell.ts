// The cost of fitting TF-IDF + SVD text features on HuffPost, in its own process so that the peak
// RSS is this fit's alone. Prints one JSON line.
//   tsx bench/multimodal-fit-cell.ts --corpus train|all [--svd ours|ml-matrix] [--dim 256]
// `train` is what a run fits on (the 20 meta-train classes, 18,000 headlines); `all` every
// headline (36,900). `--svd ml-matrix` times the same randomised SVD with ml-matrix's QR and SVD
// doing the dense steps, the library route bench/README.md compares ours with.
import { parseArgs } from 'node:util';
import { HUFFPOST_SPLIT, loadHuffPost } from '../src/core/index.js';
import { fitTfidfSvd, tfidfMatrix } from '../src/core/data/text/tfidf-svd.js';
import { truncatedSvd } from '../src/core/data/text/randomized-svd.js';
import { hashingFeatures } from '../src/core/data/text/hashing.js';
import { Random } from '../src/core/random.js';
import { HUFFPOST_DIR } from './multimodal-plan.js';
import { peakRssMiB } from './measure.js';
import { libraryTruncatedSvd } from './multimodal-svd-library.js';

const { values } = parseArgs({
  options: { corpus: { type: 'string', default: 'train' }, svd: { type: 'string', default: 'ours' }, dim: { type: 'string', default: '256' } },
});
const dim = Number(values.dim);
const dataset = await loadHuffPost(HUFFPOST_DIR);
const train = new Set(HUFFPOST_SPLIT.train);
const texts = dataset.texts!.filter((_, row) => values.corpus === 'all' || train.has(dataset.labels[row]));
const rssBeforeMiB = Math.round(process.memoryUsage().rss / 2 ** 20);
const seconds = (since: number) => (performance.now() - since) / 1000;

const hashingStarted = performance.now();
const hashing = hashingFeatures(1024);
const out = new Float32Array(1024);
for (const text of texts) hashing.write(text, out);
const hashingSeconds = seconds(hashingStarted);

let report: Record<string, unknown>;
if (values.svd === 'ours') {
  const started = performance.now();
  const model = fitTfidfSvd(texts, { dim, seed: 1 });
  const fitSeconds = seconds(started);
  const transformStarted = performance.now();
  const features = new Float32Array(dim);
  for (const text of texts) model.write(text, features);
  report = { fitSeconds, transformSeconds: seconds(transformStarted), vocabulary: model.state.vocabulary.length };
} else {
  // Same matrix, same algorithm: the two SVDs are timed alone and their singular values compared.
  const { matrix } = tfidfMatrix(texts, {});
  const oursStarted = performance.now();
  const ours = truncatedSvd(matrix, dim, new Random(1));
  const oursSeconds = seconds(oursStarted);
  const libraryStarted = performance.now();
  const library = libraryTruncatedSvd(matrix, dim, new Random(1));
  const librarySeconds = seconds(libraryStarted);
  const difference = Math.max(...Array.from(ours.singularValues, (s, j) => Math.abs(s - library.singularValues[j]) / ours.singularValues[0]));
  report = { oursSvdSeconds: oursSeconds, librarySvdSeconds: librarySeconds, maxSingularValueDifference: difference };
}
console.log(JSON.stringify({ corpus: values.corpus, svd: values.svd, dim, texts: texts.length, hashingSeconds, rssBeforeMiB, peakRssMiB: peakRssMiB(), ...report }));
