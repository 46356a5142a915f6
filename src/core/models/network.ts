// A network built from a dataset's input spec: one encoder per modality; with several
// modalities each is projected to a shared width and fused by a masked mean, so a row missing
// a modality is embedded from the ones it has. An optional linear head turns embeddings into
// class scores (MAML, Reptile); prototypical networks use the embedding alone.
import { tf, type Tensor, type Tensor2D } from '../tensor/tf.js';
import type { ModelConfig } from '../config.js';
import type { InputSpec, Modality } from '../data/types.js';
import { MODALITIES } from '../data/types.js';
import type { Random } from '../random.js';
import { conv4Encoder } from './conv4.js';
import type { Encoder } from './encoder.js';
import { leadingRows, type Inputs } from './inputs.js';
import { dense } from '../tensor/ops.js';
import { mlpEncoder } from './mlp.js';
import { strokesEncoder } from './strokes.js';
import { initParam, type ParamSpec, type Params } from './params.js';

interface Branch {
  modality: Modality;
  encoder: Encoder;
  /** First index of this branch's parameters in the flat list. */
  offset: number;
  /** Index of the projection weight (multimodal only). */
  projection: number | null;
}

export interface Network {
  readonly spec: InputSpec;
  readonly params: readonly ParamSpec[];
  readonly embeddingDim: number;
  /** Width of the head, or null for an embedding-only network. */
  readonly outputs: number | null;
  init(rng: Random): Params;
  /**
   * [tasks·rows, embeddingDim]; batch-norm statistics from each task's first statRows rows.
   * Parameters are shared, or per task with a leading task axis (fast weights).
   */
  embed(params: readonly Tensor[], inputs: Inputs, statRows: number): Tensor2D;
  /** [tasks·rows, outputs] class scores. */
  logits(params: readonly Tensor[], inputs: Inputs, statRows: number): Tensor2D;
}

function encoderFor(modality: Modality, spec: InputSpec, config: ModelConfig): Encoder {
  // Checkpoints from before the choice existed normalised with the support set's moments.
  const norm = config.norm ?? 'support';
  if (modality === 'image') return conv4Encoder(spec.image!, config.filters, norm);
  if (modality === 'strokes') return strokesEncoder(spec.strokes!.points, config.filters, norm);
  const dim = modality === 'text' ? spec.text!.features : spec.vector!.dim;
  return mlpEncoder(modality, dim, config.hidden);
}

export function buildNetwork(spec: InputSpec, config: ModelConfig, outputs: number | null): Network {
  const modalities = MODALITIES.filter((m) => spec[m] !== undefined);
  if (modalities.length === 0) throw new Error('the input spec has no modality');
  const fused = modalities.length > 1;
  const params: ParamSpec[] = [];
  const branches: Branch[] = modalities.map((modality) => {
    const encoder = encoderFor(modality, spec, config);
    const offset = params.length;
    params.push(...encoder.params);
    let projection: number | null = null;
    if (fused) {
      projection = params.length;
      params.push(
        { name: `${modality}.projection.w`, shape: [encoder.outDim, config.fusionDim], init: 'glorot-head' },
        { name: `${modality}.projection.b`, shape: [config.fusionDim], init: 'zeros' },
      );
    }
    return { modality, encoder, offset, projection };
  });
  const embeddingDim = fused ? config.fusionDim : branches[0].encoder.outDim;
  const head = params.length;
  if (outputs !== null) {
    params.push(
      { name: 'head.w', shape: [embeddingDim, outputs], init: 'glorot-head' },
      { name: 'head.b', shape: [outputs], init: 'zeros' },
    );
  }

  function embed(p: readonly Tensor[], inputs: Inputs, statRows: number): Tensor2D {
    const encode = (b: Branch): Tensor2D => {
      const input = inputs[b.modality];
      if (!input) throw new Error(`input has no ${b.modality} tensor`);
      const mask = inputs.masks[b.modality];
      const weights = mask && leadingRows(mask, inputs.tasks, inputs.rows, statRows);
      return b.encoder.apply(p.slice(b.offset, b.offset + b.encoder.params.length), input, inputs.tasks, statRows, weights);
    };
    if (!fused) return encode(branches[0]);
    let sum: Tensor | null = null;
    let count: Tensor | null = null;
    for (const b of branches) {
      const z = dense(encode(b), p[b.projection!], p[b.projection! + 1], inputs.tasks);
      const mask = inputs.masks[b.modality];
      const n = inputs.tasks * inputs.rows;
      const weight = mask ? tf.reshape(mask, [n, 1]) : tf.ones([n, 1]);
      const contribution = tf.mul(z, weight);
      sum = sum ? tf.add(sum, contribution) : contribution;
      count = count ? tf.add(count, weight) : weight;
    }
    return tf.div(sum!, tf.maximum(count!, 1)) as Tensor2D;
  }

  return {
    spec,
    params,
    embeddingDim,
    outputs,
    init: (rng) => params.map((s) => initParam(s, rng)),
    embed,
    logits(p, inputs, statRows) {
      if (outputs === null) throw new Error('this network has no classification head');
      return dense(embed(p, inputs, statRows), p[head], p[head + 1], inputs.tasks);
    },
  };
}
