// Small random episodes for math tests: class centres plus noise, any modality mix.
import type { Episode, FeatureRows, InputSpec } from '../../src/core/data/types.js';
import { Random } from '../../src/core/random.js';

function widthOf(spec: InputSpec): { image: number; text: number; vector: number } {
  return {
    image: spec.image ? spec.image.height * spec.image.width * spec.image.channels : 0,
    text: spec.text?.features ?? 0,
    vector: spec.vector?.dim ?? 0,
  };
}

export function randomEpisode(
  spec: InputSpec,
  shape: { ways: number; shots: number; queries: number },
  seed: number,
  missing = 0,
): Episode {
  const rng = new Random(seed);
  const widths = widthOf(spec);
  const centres = Array.from({ length: shape.ways }, () => ({
    image: Float32Array.from({ length: widths.image }, () => rng.next()),
    text: Float32Array.from({ length: widths.text }, () => rng.normal()),
    vector: Float32Array.from({ length: widths.vector }, () => rng.normal()),
  }));
  const rows = (perClass: number): { rows: FeatureRows; labels: Int32Array } => {
    const n = shape.ways * perClass;
    const labels = new Int32Array(n);
    const make = (m: 'image' | 'text' | 'vector') => (widths[m] ? new Float32Array(n * widths[m]) : undefined);
    const data = { image: make('image'), text: make('text'), vector: make('vector') };
    const present: FeatureRows['present'] = {};
    for (const m of ['image', 'text', 'vector'] as const) if (data[m]) present[m] = new Uint8Array(n).fill(1);
    for (let i = 0; i < n; i++) {
      const label = i % shape.ways;
      labels[i] = label;
      for (const m of ['image', 'text', 'vector'] as const) {
        const arr = data[m];
        if (!arr) continue;
        if (missing > 0 && rng.next() < missing && i >= shape.ways) {
          present[m]![i] = 0;
          continue;
        }
        const w = widths[m];
        for (let j = 0; j < w; j++) arr[i * w + j] = centres[label][m][j] + 0.3 * rng.normal();
      }
    }
    return { rows: { spec, n, ...data, present }, labels };
  };
  const support = rows(shape.shots);
  const query = rows(shape.queries);
  return {
    ways: shape.ways,
    support: support.rows,
    supportLabels: support.labels,
    query: query.rows,
    queryLabels: query.labels,
    classIds: Array.from({ length: shape.ways }, (_, i) => i),
  };
}
