// A run's text features in its checkpoints. The manifest names the kind and width; a fitted
// TF-IDF + SVD model adds its vocabulary (JSON) and its IDF weights and SVD basis (float32) as
// files checksummed like the weights, so a checkpoint alone featurises new text.
import { CoreError } from '../errors.js';
import type { InputSpec } from '../data/types.js';
import type { TextFeatureKind, TextFeatures } from '../data/text/features.js';
import { hashingFeatures } from '../data/text/hashing.js';
import { TfidfSvd } from '../data/text/tfidf-svd.js';
import { readVerifiedFile, type CheckpointManifest } from './checkpoint.js';

export interface TextFeaturesEntry {
  features: TextFeatureKind;
  dim: number;
  /** Words in a fitted model's vocabulary. */
  vocabulary?: number;
}

const VOCABULARY = 'text-vocabulary.json';
const ARRAYS = 'text-features.bin';

/** The manifest entry and the files that store `features`. */
export function textFeaturesFiles(features: TextFeatures): { entry: TextFeaturesEntry; files: [string, Uint8Array][] } {
  if (!(features instanceof TfidfSvd)) return { entry: { ...features.config }, files: [] };
  const { vocabulary, idf, basis } = features.state;
  const arrays = new Float32Array(idf.length + basis.length);
  arrays.set(idf);
  arrays.set(basis, idf.length);
  return {
    entry: { ...features.config, vocabulary: vocabulary.length },
    files: [
      [VOCABULARY, Buffer.from(JSON.stringify(vocabulary), 'utf8')],
      [ARRAYS, new Uint8Array(arrays.buffer)],
    ],
  };
}

/**
 * The text features a checkpoint was trained with; null when its data has no text. Checkpoints
 * from before text features were recorded hashed their text at the spec's width.
 */
export async function readTextFeatures(path: string, manifest: CheckpointManifest): Promise<TextFeatures | null> {
  const spec: InputSpec = manifest.spec;
  if (!spec.text) return null;
  const entry = manifest.text ?? { features: 'hashing', dim: spec.text.features };
  const invalid = (what: string) => new CoreError('checkpoint_invalid', `checkpoint ${path}: ${what}`, { path });
  if (entry.dim !== spec.text.features) throw invalid(`text features are ${entry.dim} wide, the input spec's ${spec.text.features}`);
  if (entry.features === 'hashing') return hashingFeatures(entry.dim);

  let vocabulary: unknown;
  try {
    vocabulary = JSON.parse((await readVerifiedFile(path, manifest, VOCABULARY)).toString('utf8'));
  } catch (error) {
    throw error instanceof CoreError ? error : invalid(`${VOCABULARY} is not valid JSON`);
  }
  if (!Array.isArray(vocabulary) || !vocabulary.every((w) => typeof w === 'string') || vocabulary.length !== entry.vocabulary) {
    throw invalid(`${VOCABULARY} is not the list of ${entry.vocabulary} words the manifest says`);
  }
  const bytes = await readVerifiedFile(path, manifest, ARRAYS);
  const words = vocabulary.length;
  if (bytes.byteLength !== 4 * words * (1 + entry.dim)) throw invalid(`${ARRAYS} does not hold IDF and basis for ${words} words × ${entry.dim}`);
  // Copy into an aligned buffer: Buffer slices may start at any byte offset.
  const arrays = new Float32Array(new Uint8Array(bytes).buffer);
  return new TfidfSvd({ vocabulary, idf: arrays.slice(0, words), basis: arrays.slice(words), dim: entry.dim });
}
