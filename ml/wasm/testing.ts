/**
 * Test helpers: run the same computation on the `cpu` backend (the reference) and on `wasm` or
 * `webgpu`, and compare.
 */
import * as tf from '@tensorflow/tfjs';
import { readAll } from '../engine/read.js';
import { SgdOptimizer } from '../train/sgd.js';
import { batchNormReluTraining } from './batchNormRelu.js';

/** Deterministic values in [-1, 1) (a linear congruential generator: no dependence on tfjs's RNG). */
export function pseudoRandom(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let state = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 2 ** 31 - 1;
  }
  return out;
}

/**
 * Runs `compute` on `backend` and reads back every output. Inputs are made inside from plain arrays, so
 * nothing crosses backends.
 */
export async function runOn(backend: 'cpu' | 'wasm' | 'webgpu', compute: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outputs = tf.tidy(compute);
  return (await readAll(Array.isArray(outputs) ? outputs : [outputs])) as Float32Array[];
}

/** max |a − b| / max |b|: the error relative to the reference's scale (b is the reference). */
export function relativeError(actual: Float32Array, expected: Float32Array): number {
  if (actual.length !== expected.length) return Number.POSITIVE_INFINITY;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  if (Number.isNaN(diff)) return Number.POSITIVE_INFINITY;
  return scale === 0 ? diff : diff / scale;
}

/**
 * The fused BatchNorm+ReLU's output, statistics and gradients for deterministic inputs of `shape`, with
 * x offset by `offset` (a large offset catches cancellation in the variance). `seed` picks the values.
 */
export function batchNormReluPasses(shape: number[], offset: number, seed: number): tf.Tensor[] {
  const channels = shape[shape.length - 1];
  const x = tf.tensor(pseudoRandom(tf.util.sizeFromShape(shape), seed), shape).mul(3).add(offset);
  const gamma = tf.tensor1d(pseudoRandom(channels, seed + 1)).add(1.5) as tf.Tensor1D;
  const beta = tf.tensor1d(pseudoRandom(channels, seed + 2)) as tf.Tensor1D;
  const dy = tf.tensor(pseudoRandom(x.size, seed + 3), shape);
  const { y, mean, variance } = batchNormReluTraining(x, gamma, beta, 1e-5);
  const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const result = batchNormReluTraining(a, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5);
    tf.dispose([result.mean, result.variance]);
    return result.y;
  })([x, gamma, beta], dy);
  return [y, mean, variance, ...grads];
}

/** Three SGD steps on two weights (one decayed) with fresh gradients each step, on `backend`. */
export async function threeSgdSteps(backend: 'cpu' | 'wasm' | 'webgpu', nesterov: boolean): Promise<{ weights: Float32Array[]; leaked: number }> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const initial = [tf.tensor(pseudoRandom(3 * 3 * 4 * 8, 1), [3, 3, 4, 8]), tf.tensor(pseudoRandom(8, 2), [8])];
  const kernel = tf.variable(initial[0]!, true, `k_${backend}_${nesterov}`);
  const bias = tf.variable(initial[1]!, true, `b_${backend}_${nesterov}`);
  tf.dispose(initial);
  const params = [{ name: 'kernel', variable: kernel, decay: true }, { name: 'bias', variable: bias, decay: false }];
  const optimizer = new SgdOptimizer({ momentum: 0.9, nesterov, weightDecay: 5e-4 });
  for (let step = 0; step < 3; step++) {
    const grads = [tf.tensor(pseudoRandom(kernel.size, 10 + step), kernel.shape), tf.tensor(pseudoRandom(8, 20 + step), [8])];
    optimizer.applyGradients(params, grads, 0.1 / (step + 1));
    tf.dispose(grads);
  }
  const weights = [(await kernel.data()).slice() as Float32Array, (await bias.data()).slice() as Float32Array];
  optimizer.dispose();
  tf.dispose([kernel, bias]);
  return { weights, leaked: tf.memory().numTensors - before };
}
