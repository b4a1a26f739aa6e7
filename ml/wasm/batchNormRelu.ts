/**
 * Training-mode batch normalisation + ReLU as one differentiable op. On a backend with the project's
 * fused kernels (wasm, see kernels/BatchNormReluTraining.ts) it is one kernel forward and one backward;
 * elsewhere it is the same composition tfjs-layers uses (moments, batchNorm, relu), so results agree
 * across backends up to rounding.
 */
import * as tf from '@tensorflow/tfjs';
import { BatchNormReluTraining } from './kernels/BatchNormReluTraining.js';
import { BatchNormReluTrainingGrad } from './kernels/BatchNormReluTrainingGrad.js';

export interface BatchNormReluResult {
  /** max(0, γ·x̂ + β). */
  y: tf.Tensor;
  /** Per-channel batch mean and biased variance (for the moving averages; no gradient flows back). */
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

export function hasFusedBatchNormRelu(backendName = tf.getBackend()): boolean {
  return tf.getKernel(BatchNormReluTraining, backendName) !== undefined &&
    tf.getKernel(BatchNormReluTrainingGrad, backendName) !== undefined;
}

/**
 * Normalises x over every axis but the last with its batch statistics. The caller owns all three
 * results (mean and variance are not tracked by an enclosing tidy: dispose them).
 */
export function batchNormReluTraining(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): BatchNormReluResult {
  if (!hasFusedBatchNormRelu()) return composite(x, gamma, beta, epsilon);
  let stats: [tf.Tensor1D, tf.Tensor1D] | null = null;
  const op = tf.customGrad((xIn, gammaIn, betaIn, save) => {
    const [y, mean, variance] = tf.engine().runKernel(
      BatchNormReluTraining, { x: xIn as tf.Tensor, gamma: gammaIn as tf.Tensor, beta: betaIn as tf.Tensor }, { epsilon }) as tf.Tensor[];
    (save as tf.GradSaveFunc)([xIn as tf.Tensor, y, gammaIn as tf.Tensor, mean, variance]);
    // customGrad disposes everything but its value when the forward returns; keep the statistics.
    stats = [tf.keep(mean) as tf.Tensor1D, tf.keep(variance) as tf.Tensor1D];
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xs, ys, gammas, means, variances] = saved;
        return tf.engine().runKernel(
          BatchNormReluTrainingGrad,
          { dy: dy as tf.Tensor, x: xs, y: ys, gamma: gammas, mean: means, variance: variances },
          { epsilon },
        ) as tf.Tensor[];
      },
    };
  });
  const y = op(x, gamma, beta);
  const [mean, variance] = stats!;
  return { y, mean, variance };
}

function composite(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): BatchNormReluResult {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const { mean, variance } = tf.tidy(() => {
    const m = tf.moments(x, axes);
    return { mean: m.mean as tf.Tensor1D, variance: m.variance as tf.Tensor1D };
  });
  const y = tf.tidy(() => tf.relu(tf.batchNorm(x, mean, variance, beta, gamma, epsilon)));
  // Keras updates the moving averages with the statistics as values, not as part of the graph.
  return { y, mean: tf.keep(mean), variance: tf.keep(variance) };
}
