// Small random episodes for math tests: class centres plus noise, any modality mix.
import type { Episode, FeatureRows, InputSpec, Modality } from '../../src/core/data/types.js';
import { MODALITIES } from '../../src/core/data/types.js';
import { modalityWidth } from '../../src/core/data/rows.js';
import { Random } from '../../src/core/random.js';

export function randomEpisode(
  spec: InputSpec,
  shape: { ways: number; shots: number; queries: number },
  seed: number,
  missing = 0,
): Episode {
  const rng = new Random(seed);
  const modalities = MODALITIES.filter((m) => spec[m] !== undefined);
  const widths = Object.fromEntries(modalities.map((m) => [m, modalityWidth(spec, m)])) as Record<Modality, number>;
  // Images in [0, 1); everything else standard normal.
  const centres = Array.from({ length: shape.ways }, () =>
    Object.fromEntries(modalities.map((m) => [m, Float32Array.from({ length: widths[m] }, () => (m === 'image' ? rng.next() : rng.normal()))])),
  );
  const rows = (perClass: number): { rows: FeatureRows; labels: Int32Array } => {
    const n = shape.ways * perClass;
    const labels = new Int32Array(n);
    const data = Object.fromEntries(modalities.map((m) => [m, new Float32Array(n * widths[m])])) as Partial<Record<Modality, Float32Array>>;
    const present: FeatureRows['present'] = Object.fromEntries(modalities.map((m) => [m, new Uint8Array(n).fill(1)]));
    for (let i = 0; i < n; i++) {
      const label = i % shape.ways;
      labels[i] = label;
      for (const m of modalities) {
        if (missing > 0 && rng.next() < missing && i >= shape.ways) {
          present[m]![i] = 0;
          continue;
        }
        const w = widths[m];
        for (let j = 0; j < w; j++) data[m]![i * w + j] = centres[label][m][j] + 0.3 * rng.normal();
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
