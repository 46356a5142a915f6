// Host rows -> input tensors. Presence masks are attached only for modalities that some row is
// missing, so complete data takes the cheaper unmasked path through the network.
import { tf, type Tensor, type Tensor2D, type Tensor4D } from '../tensor/tf.js';
import type { FeatureRows, Modality } from '../data/types.js';
import { MODALITIES } from '../data/types.js';

export interface Inputs {
  readonly n: number;
  readonly image?: Tensor4D;
  readonly text?: Tensor2D;
  readonly vector?: Tensor2D;
  /** [n] 0/1 per modality; absent means every row has it. */
  readonly masks: Partial<Record<Modality, Tensor>>;
}

export function toInputs(rows: FeatureRows): Inputs {
  const { spec, n } = rows;
  const masks: Partial<Record<Modality, Tensor>> = {};
  for (const m of MODALITIES) {
    const present = rows.present[m];
    if (spec[m] && present && present.some((p) => p === 0)) masks[m] = tf.tensor1d(Float32Array.from(present));
  }
  return {
    n,
    masks,
    image:
      spec.image && rows.image
        ? tf.tensor4d(rows.image, [n, spec.image.height, spec.image.width, spec.image.channels])
        : undefined,
    text: spec.text && rows.text ? tf.tensor2d(rows.text, [n, spec.text.features]) : undefined,
    vector: spec.vector && rows.vector ? tf.tensor2d(rows.vector, [n, spec.vector.dim]) : undefined,
  };
}

export function disposeInputs(inputs: Inputs): void {
  tf.dispose([inputs.image, inputs.text, inputs.vector, ...Object.values(inputs.masks)].filter((t) => t !== undefined));
}

/** Rows of `a` followed by rows of `b` (same spec). */
export function concatRows(a: FeatureRows, b: FeatureRows): FeatureRows {
  const join = (x?: Float32Array, y?: Float32Array) => {
    if (!x || !y) return undefined;
    const out = new Float32Array(x.length + y.length);
    out.set(x);
    out.set(y, x.length);
    return out;
  };
  const present: FeatureRows['present'] = {};
  for (const m of MODALITIES) {
    const pa = a.present[m];
    const pb = b.present[m];
    if (pa && pb) {
      const out = new Uint8Array(pa.length + pb.length);
      out.set(pa);
      out.set(pb, pa.length);
      present[m] = out;
    }
  }
  return {
    spec: a.spec,
    n: a.n + b.n,
    image: join(a.image, b.image),
    text: join(a.text, b.text),
    vector: join(a.vector, b.vector),
    present,
  };
}
