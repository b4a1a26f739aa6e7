/**
 * SGD with (Nesterov) momentum and L2 weight decay: the paper's optimiser (spec §4.1: Nesterov,
 * momentum 0.9, weight decay 1e-4), with the update rule of Caffe's and PyTorch's SGD so their
 * hyper-parameters transfer unchanged:
 *
 *   g ← ∇L + λ·w            (L2 decay, coupled: added to the gradient, kernels only)
 *   v ← μ·v + g             (v starts at 0)
 *   w ← w − η·(g + μ·v)     (Nesterov; plain momentum uses w − η·v)
 *
 * The learning rate multiplies the step rather than the velocity, so a schedule's drop takes effect
 * at once instead of decaying out of the velocity.
 */
import * as tf from '@tensorflow/tfjs';
import { SgdUpdate } from '../wasm/kernels/SgdUpdate.js';
import { SlotOptimizer, type TrainableParam } from './optimizer.js';

export interface SgdConfig {
  kind: 'sgd';
  /** μ; default 0.9 (spec §4.1). */
  momentum?: number;
  /** Default true (spec §4.1). */
  nesterov?: boolean;
  /** λ of the L2 term on kernels; default 1e-4 (spec §4.1; 5e-4 suits the lite models, §4.3). */
  weightDecay?: number;
}

export class SgdOptimizer extends SlotOptimizer {
  readonly kind = 'sgd';
  protected readonly slotNames = ['velocity'] as const;
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;

  constructor(config: Omit<SgdConfig, 'kind'> = {}) {
    super();
    this.momentum = config.momentum ?? 0.9;
    this.nesterov = config.nesterov ?? true;
    this.weightDecay = config.weightDecay ?? 1e-4;
  }

  applyGradients(params: TrainableParam[], gradients: (tf.Tensor | undefined)[], learningRate: number): void {
    this.checkGradients(params, gradients);
    const fused = tf.getKernel(SgdUpdate, tf.getBackend()) !== undefined;
    params.forEach((param, i) => {
      const gradient = gradients[i];
      if (!gradient) return;
      const decay = param.decay ? this.weightDecay : 0;
      const velocity = fused ? this.fusedStep(param.variable, gradient, this.slots[i]?.[0], decay, learningRate) : tf.tidy(() => {
        const w = param.variable;
        const g = decay > 0 ? tf.add(gradient, tf.mul(w, decay)) : gradient;
        const previous = this.slots[i]?.[0];
        const v = previous ? tf.add(tf.mul(previous, this.momentum), g) : tf.clone(g);
        const step = this.nesterov ? tf.add(g, tf.mul(v, this.momentum)) : v;
        w.assign(tf.sub(w, tf.mul(step, learningRate)));
        return v;
      });
      this.replaceSlots(i, [velocity]);
    });
    this.iterations++;
  }

  /** The same step as one kernel (wasm, see ml/wasm/kernels/SgdUpdate.ts); returns the new velocity. */
  private fusedStep(w: tf.Variable, g: tf.Tensor, previous: tf.Tensor | undefined, decay: number, learningRate: number): tf.Tensor {
    const attrs = { learningRate, momentum: this.momentum, weightDecay: decay, nesterov: this.nesterov, first: previous === undefined };
    const [next, velocity] = tf.engine().runKernel(SgdUpdate, { w, g, v: previous ?? g }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    w.assign(next!);
    next!.dispose();
    return velocity!;
  }
}
