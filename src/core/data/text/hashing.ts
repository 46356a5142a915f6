// Text as a fixed-width vector by the hashing trick: no vocabulary to fit or store, so a
// headline seen only at serving time lands in the same space as the training data.
import { tokenize } from './tokenize.js';
import type { TextFeatures } from './features.js';

/** 32-bit FNV-1a over UTF-16 code units: tiny, fast and stable across platforms. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * Writes the features of `text` into `out` (its length is the feature count): word
 * unigrams and bigrams, each weighted log(1 + count), hashed into a bucket with a sign
 * taken from the top hash bit so that collisions cancel on average instead of piling
 * up; then L2-normalised so headline length does not set the scale. Empty text gives zeros.
 */
export function writeHashedText(text: string, out: Float32Array): void {
  out.fill(0);
  const tokens = tokenize(text);
  const counts = new Map<string, number>();
  const add = (gram: string) => counts.set(gram, (counts.get(gram) ?? 0) + 1);
  tokens.forEach((token, i) => {
    add(token);
    // A space never occurs inside a token, so 'a b' cannot collide with a unigram.
    if (i > 0) add(`${tokens[i - 1]} ${token}`);
  });
  for (const [gram, count] of counts) {
    const hash = fnv1a(gram);
    out[(hash & 0x7fffffff) % out.length] += (hash >>> 31 ? -1 : 1) * Math.log1p(count);
  }
  let norm = 0;
  for (let i = 0; i < out.length; i++) norm += out[i] * out[i];
  if (norm > 0) {
    const scale = 1 / Math.sqrt(norm);
    for (let i = 0; i < out.length; i++) out[i] *= scale;
  }
}

export function hashingFeatures(dim: number): TextFeatures {
  return {
    config: { features: 'hashing', dim },
    write(text, out) {
      if (out.length !== dim) throw new Error(`hashing features are ${dim} wide, not ${out.length}`);
      writeHashedText(text, out);
    },
  };
}
