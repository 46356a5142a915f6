// TF-IDF weights projected on a truncated SVD basis (latent semantic analysis), fitted on the
// meta-training texts: the text pipeline of the study Fewshot grew from. Words become a fixed
// vocabulary with inverse-document-frequency weights, each text a sublinear, L2-normalised
// TF-IDF vector, and the SVD keeps the `dim` directions along which the training texts vary
// most, so related words (which co-occur) land close together.
import { Random } from '../../random.js';
import { truncatedSvd, type SparseRows } from './randomized-svd.js';
import { tokenize } from './tokenize.js';
import type { TextFeatures } from './features.js';

export interface TfidfSvdOptions {
  dim: number;
  /** Words in fewer training texts than this are left out (default 2: a word seen once says nothing about a class). */
  minDocumentFrequency?: number;
  /** The vocabulary keeps at most this many words, the most frequent (default 20,000). */
  maxVocabulary?: number;
  /** Seed of the SVD's random start. */
  seed: number;
}

/** Everything a fitted model needs to featurise new text: stored in checkpoints. */
export interface TfidfSvdState {
  vocabulary: readonly string[];
  /** Per word: ln((1 + texts) / (1 + texts containing it)) + 1, as scikit-learn's smooth IDF. */
  idf: Float32Array;
  /** vocabulary.length × dim, row-major: word j's coordinates in the SVD basis. */
  basis: Float32Array;
  dim: number;
}

/** Word index -> count, for the words of `tokens` that the vocabulary has. */
function termCounts(tokens: readonly string[], index: ReadonlyMap<string, number>): Map<number, number> {
  const counts = new Map<number, number>();
  for (const token of tokens) {
    const j = index.get(token);
    if (j !== undefined) counts.set(j, (counts.get(j) ?? 0) + 1);
  }
  return counts;
}

/** Sublinear TF times IDF, L2-normalised; an empty map for a text with no known word. */
function weights(counts: ReadonlyMap<number, number>, idf: Float32Array): Map<number, number> {
  const out = new Map<number, number>();
  let norm = 0;
  for (const [j, count] of counts) {
    const w = (1 + Math.log(count)) * idf[j];
    out.set(j, w);
    norm += w * w;
  }
  if (norm === 0) return new Map();
  const scale = 1 / Math.sqrt(norm);
  for (const [j, w] of out) out.set(j, w * scale);
  return out;
}

export class TfidfSvd implements TextFeatures {
  readonly config;
  private readonly index: Map<string, number>;

  constructor(readonly state: TfidfSvdState) {
    this.config = { features: 'tfidf-svd' as const, dim: state.dim };
    this.index = new Map(state.vocabulary.map((word, j) => [word, j]));
  }

  /**
   * The projection, L2-normalised like the hashing features so that text length never sets
   * the scale. A text with no word of the vocabulary (or none at all) gives zeros.
   */
  write(text: string, out: Float32Array): void {
    const { basis, dim, idf } = this.state;
    out.fill(0);
    for (const [j, w] of weights(termCounts(tokenize(text), this.index), idf)) {
      for (let k = 0; k < dim; k++) out[k] += w * basis[j * dim + k];
    }
    let norm = 0;
    for (let k = 0; k < dim; k++) norm += out[k] * out[k];
    if (norm > 0) {
      const scale = 1 / Math.sqrt(norm);
      for (let k = 0; k < dim; k++) out[k] *= scale;
    }
  }
}

/** Words with their document frequencies, most frequent first (ties in code-unit order, so fits are reproducible). */
function buildVocabulary(documents: readonly string[][], minDf: number, cap: number): { words: string[]; df: number[] } {
  const df = new Map<string, number>();
  for (const tokens of documents) for (const word of new Set(tokens)) df.set(word, (df.get(word) ?? 0) + 1);
  const kept = [...df].filter(([, n]) => n >= minDf);
  kept.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const top = kept.slice(0, cap);
  return { words: top.map(([word]) => word), df: top.map(([, n]) => n) };
}

/** The TF-IDF document-term matrix of `texts` with the vocabulary and IDF weights fitted on them. */
export function tfidfMatrix(
  texts: readonly string[],
  opts: Pick<TfidfSvdOptions, 'minDocumentFrequency' | 'maxVocabulary'>,
): { vocabulary: string[]; idf: Float32Array; matrix: SparseRows } {
  const documents = texts.map(tokenize);
  const { words, df } = buildVocabulary(documents, opts.minDocumentFrequency ?? 2, opts.maxVocabulary ?? 20_000);
  const idf = Float32Array.from(df, (n) => Math.log((1 + documents.length) / (1 + n)) + 1);
  const index = new Map(words.map((word, j) => [word, j]));

  const rowStart = new Int32Array(documents.length + 1);
  const colIndex: number[] = [];
  const values: number[] = [];
  documents.forEach((tokens, i) => {
    for (const [j, w] of [...weights(termCounts(tokens, index), idf)].sort((a, b) => a[0] - b[0])) {
      colIndex.push(j);
      values.push(w);
    }
    rowStart[i + 1] = colIndex.length;
  });
  const matrix: SparseRows = {
    rows: documents.length,
    cols: words.length,
    rowStart,
    colIndex: Int32Array.from(colIndex),
    values: Float64Array.from(values),
  };
  return { vocabulary: words, idf, matrix };
}

/** Fits vocabulary, IDF and SVD basis on `texts` (the meta-training texts only). */
export function fitTfidfSvd(texts: readonly string[], opts: TfidfSvdOptions): TfidfSvd {
  const { vocabulary, idf, matrix } = tfidfMatrix(texts, opts);
  const { basis } = truncatedSvd(matrix, opts.dim, new Random(opts.seed));
  return new TfidfSvd({ vocabulary, idf, basis: Float32Array.from(basis), dim: opts.dim });
}
