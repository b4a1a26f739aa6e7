/**
 * Weight initialisation schemes, applied to a freshly built network (inside the caller's seeded
 * Math.random, so a run's seed fixes them):
 *
 * - `msra`: the paper's (spec §4.1, He et al. 2015): conv weights normal with variance 2 / fan_in, as the
 *   builder makes them; the classifier Glorot-uniform with zero bias.
 * - `pytorch`: PyTorch's defaults for the same layers (`kaiming_uniform_(a=√5)`): conv and dense weights
 *   uniform in ±1/√fan_in (a third of MSRA's variance), the dense bias uniform in the same bounds.
 * - `zero-gamma`: MSRA, with the scale γ of the batch norm before each residual branch's last conv set
 *   to 0, so every residual unit starts as the identity (Goyal et al. 2017, "zero γ"; in a pre-activation
 *   unit that batch norm is `bn3`, and ReLU(0·x̂ + 0) = 0 silences the branch until γ learns).
 *
 * Batch norm starts at γ = 1, β = 0 (moving mean 0, variance 1) in every scheme but the zeroed γ.
 */
import * as tf from '@tensorflow/tfjs';

export const initSchemes = ['msra', 'pytorch', 'zero-gamma'] as const;
export type InitScheme = (typeof initSchemes)[number];

export function isInitScheme(value: unknown): value is InitScheme {
  return typeof value === 'string' && (initSchemes as readonly string[]).includes(value);
}

/** Each residual unit's batch norm before its last 1×1 conv: `<unit>_bn3` beside `<unit>_conv3` (residualUnit.ts). */
function residualBranchLastBatchNorms(model: tf.LayersModel): Set<string> {
  const names = new Set(model.layers.map((l) => l.name));
  return new Set(model.layers.map((l) => l.name).filter((n) => n.endsWith('_bn3') && names.has(`${n.slice(0, -4)}_conv3`)));
}

function uniform(shape: number[], bound: number): tf.Tensor {
  // A seed drawn from Math.random: seeded by the caller, the weights are reproducible.
  return tf.randomUniform(shape, -bound, bound, 'float32', Math.floor(Math.random() * 2 ** 31));
}

/** Re-initialises `model`'s weights in place according to `scheme` (msra: nothing to do). */
export function applyInitialization(model: tf.LayersModel, scheme: InitScheme): void {
  if (scheme === 'msra') return;
  const lastBatchNorms = residualBranchLastBatchNorms(model);
  for (const layer of model.layers) {
    const className = layer.getClassName();
    if (scheme === 'pytorch' && (className === 'Conv2D' || className === 'Dense')) {
      const weights = layer.getWeights();
      const kernel = weights[0]!;
      const fanIn = kernel.shape.slice(0, -1).reduce((a, b) => a * b, 1);
      const bound = 1 / Math.sqrt(fanIn);
      const next = weights.map((w) => uniform(w.shape, bound));
      layer.setWeights(next);
      tf.dispose(next);
    } else if (scheme === 'zero-gamma' && lastBatchNorms.has(layer.name)) {
      const weights = layer.getWeights();
      // Order: gamma, beta, moving mean, moving variance.
      const next = weights.map((w, i) => (i === 0 ? tf.zerosLike(w) : w.clone()));
      layer.setWeights(next);
      tf.dispose(next);
    }
  }
}
