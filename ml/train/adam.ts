/**
 * Adam (Kingma & Ba 2015) with decoupled weight decay (AdamW, Loshchilov & Hutter 2019): decay shrinks
 * the kernels directly, w ← w − η·λ·w, instead of entering the gradient, where Adam's per-weight
 * scaling would cancel most of it. Offered for users who want it; the paper's recipe is Nesterov SGD,
 * and reimplementations that used Adam at 1e-4 lost 5-9 points on CIFAR-10 (spec §4.3, §7.4).
 *
 *   m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²
 *   w ← w − η·λ·w − η·m̂ / (√v̂ + ε),  m̂ = m / (1−β1^t),  v̂ = v / (1−β2^t)
 */
import * as tf from '@tensorflow/tfjs';
import { SlotOptimizer, type TrainableParam } from './optimizer.js';

export interface AdamConfig {
  kind: 'adam';
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-8. */
  epsilon?: number;
  /** λ of the decoupled decay on kernels; default 0 (plain Adam). PyTorch's AdamW default is 1e-2. */
  weightDecay?: number;
}

export class AdamOptimizer extends SlotOptimizer {
  readonly kind = 'adam';
  protected readonly slotNames = ['m', 'v'] as const;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;

  constructor(config: Omit<AdamConfig, 'kind'> = {}) {
    super();
    this.beta1 = config.beta1 ?? 0.9;
    this.beta2 = config.beta2 ?? 0.999;
    this.epsilon = config.epsilon ?? 1e-8;
    this.weightDecay = config.weightDecay ?? 0;
  }

  applyGradients(params: TrainableParam[], gradients: (tf.Tensor | undefined)[], learningRate: number): void {
    this.checkGradients(params, gradients);
    const t = this.iterations + 1;
    const mCorrection = 1 / (1 - this.beta1 ** t);
    const vCorrection = 1 / (1 - this.beta2 ** t);
    params.forEach((param, i) => {
      const g = gradients[i];
      if (!g) return;
      const moments = tf.tidy(() => {
        const w = param.variable;
        const [mPrev, vPrev] = this.slots[i] ?? [tf.zerosLike(g), tf.zerosLike(g)];
        const m = tf.add(tf.mul(mPrev, this.beta1), tf.mul(g, 1 - this.beta1));
        const v = tf.add(tf.mul(vPrev, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        const update = tf.div(tf.mul(m, mCorrection), tf.add(tf.sqrt(tf.mul(v, vCorrection)), this.epsilon));
        const decayed = param.decay && this.weightDecay > 0 ? tf.mul(w, 1 - learningRate * this.weightDecay) : w;
        w.assign(tf.sub(decayed, tf.mul(update, learningRate)));
        return [m, v];
      });
      this.replaceSlots(i, moments);
    });
    this.iterations++;
  }
}
