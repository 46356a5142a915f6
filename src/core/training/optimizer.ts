// Outer-loop optimisers over explicit parameter lists. Their state is plain float32 arrays so a
// checkpoint can restore it bit for bit, which makes a resumed run repeat an uninterrupted one.
import { tf, type Tensor } from '../tensor/tf.js';

export interface OptimizerState {
  kind: 'adam' | 'interpolate';
  step: number;
  /** Adam's first and second moments, one array per parameter; empty for interpolate. */
  slots: Float32Array[];
}

export interface OuterOptimizer {
  /** Applies one update; disposes `params` and `grads` and returns the new parameters. */
  step(params: Tensor[], grads: Tensor[]): Tensor[];
  state(): Promise<OptimizerState>;
  dispose(): void;
}

/** Adam (Kingma & Ba 2015), as MAML and prototypical networks use for the outer loop. */
export function adam(lr: number, shapes: number[][], restored?: OptimizerState): OuterOptimizer {
  const beta1 = 0.9;
  const beta2 = 0.999;
  const epsilon = 1e-8;
  let t = restored?.step ?? 0;
  let m = shapes.map((s, i) => (restored ? tf.tensor(restored.slots[i], s) : tf.zeros(s)));
  let v = shapes.map((s, i) => (restored ? tf.tensor(restored.slots[shapes.length + i], s) : tf.zeros(s)));
  return {
    step(params, grads) {
      t += 1;
      const correction1 = 1 - beta1 ** t;
      const correction2 = 1 - beta2 ** t;
      const next = tf.tidy(() => {
        const m2 = m.map((mi, i) => tf.add(tf.mul(mi, beta1), tf.mul(grads[i], 1 - beta1)));
        const v2 = v.map((vi, i) => tf.add(tf.mul(vi, beta2), tf.mul(tf.square(grads[i]), 1 - beta2)));
        const p2 = params.map((p, i) =>
          tf.sub(p, tf.div(tf.mul(m2[i], lr / correction1), tf.add(tf.sqrt(tf.div(v2[i], correction2)), epsilon))),
        );
        return { m2, v2, p2 };
      });
      tf.dispose([...m, ...v, ...params, ...grads]);
      m = next.m2;
      v = next.v2;
      return next.p2;
    },
    state: async () => ({
      kind: 'adam',
      step: t,
      slots: (await Promise.all([...m, ...v].map((s) => s.data()))).map((d) => Float32Array.from(d)),
    }),
    dispose: () => tf.dispose([...m, ...v]),
  };
}

/**
 * Reptile's outer step θ ← θ − ε·(θ − φ̄), with ε annealed linearly from `lr` to 0 over the
 * run (Nichol et al. 2018). `grads` is the mean of θ − φ over the meta-batch.
 */
export function interpolate(lr: number, iterations: number, restored?: OptimizerState): OuterOptimizer {
  let t = restored?.step ?? 0;
  return {
    step(params, grads) {
      const epsilon = lr * (1 - t / iterations);
      t += 1;
      const next = tf.tidy(() => params.map((p, i) => tf.sub(p, tf.mul(grads[i], epsilon))));
      tf.dispose([...params, ...grads]);
      return next;
    },
    state: async () => ({ kind: 'interpolate', step: t, slots: [] }),
    dispose: () => undefined,
  };
}
