/**
 * Whole-network check of a training backend: the gradients of every trainable weight of a model, and its
 * outputs, on `wasm` or `webgpu` with the project kernels (and BN+ReLU fused), against the `cpu`
 * backend running the stock model, on one small training-mode batch.
 *
 * The figure of merit is the median over all weights of |g − g_ref| / |g_ref| (~1e-5 when the kernels
 * are right). A few weights sit at a ReLU kink or a max-pool near-tie, where a different float32
 * summation order sends them the other way, hence p99 and the worst entries are larger. As a noise
 * floor, `sensitivity` is how much the backend's gradients move when the input is scaled by (1 + 1e-6).
 * Every read is asynchronous, as the WebGPU backend needs under Node.
 */
import * as tf from '@tensorflow/tfjs';
import { fuseBatchNormRelu } from '../layers/fuseBatchNormRelu.js';
import { pseudoRandom } from '../wasm/testing.js';
import { readAll } from './read.js';

export interface GradientCheck {
  weights: number;
  /** Median and 99th percentile of the element-wise relative error. */
  median: number;
  p99: number;
  /** Largest max |g − g_ref| / max |g_ref| over the weight tensors. */
  worstTensor: number;
  sensitivity: { median: number; p99: number };
  /** Largest |output − output_ref| / max |output_ref| of the logits, in training and in inference mode. */
  outputs: { training: number; inference: number };
}

function inputBatch(batch: number, size: number, channels: number, scale: number): tf.Tensor4D {
  return tf.tidy(() => tf.tensor4d(pseudoRandom(batch * size * size * channels, 7), [batch, size, size, channels]).mul(scale));
}

async function gradients(model: tf.LayersModel, batch: number, size: number, channels: number, scale = 1): Promise<Float32Array[]> {
  const tensors = tf.tidy(() => {
    const x = inputBatch(batch, size, channels, scale);
    const classes = model.outputs[0].shape[1] ?? 1;
    const labels = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => (i * 7) % classes), 'int32'), classes);
    const variables = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
    const { grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, variables);
    return variables.map((v) => grads[v.name]);
  });
  return (await readAll(tensors)) as Float32Array[];
}

/** The logits in training mode (batch statistics) and in inference mode (moving statistics). */
async function outputs(model: tf.LayersModel, batch: number, size: number, channels: number): Promise<Float32Array[]> {
  const tensors = tf.tidy(() => {
    const x = inputBatch(batch, size, channels, 1);
    return [model.apply(x, { training: true }) as tf.Tensor, model.apply(x, { training: false }) as tf.Tensor];
  });
  return (await readAll(tensors)) as Float32Array[];
}

function relativeMaxError(actual: Float32Array, expected: Float32Array): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]!));
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
  }
  return scale === 0 ? diff : diff / scale;
}

export function compareGradients(actual: Float32Array[], expected: Float32Array[]): { median: number; p99: number; worstTensor: number } {
  const errors: number[] = [];
  let worstTensor = 0;
  actual.forEach((a, t) => {
    const e = expected[t];
    let scale = 0;
    let diff = 0;
    for (let i = 0; i < e.length; i++) {
      scale = Math.max(scale, Math.abs(e[i]));
      diff = Math.max(diff, Math.abs(a[i] - e[i]));
    }
    worstTensor = Math.max(worstTensor, scale === 0 ? diff : diff / scale);
    // Entries far below their tensor's largest are compared on that tensor's scale (1e-6 of it).
    for (let i = 0; i < e.length; i++) errors.push(Math.abs(a[i] - e[i]) / (Math.abs(e[i]) + 1e-6 * scale + 1e-30));
  });
  errors.sort((p, q) => p - q);
  return { median: errors[errors.length >> 1] ?? 0, p99: errors[Math.floor(errors.length * 0.99)] ?? 0, worstTensor };
}

/**
 * Runs `build` with Math.random replaced by a seeded generator: tfjs initializers without a seed draw
 * their seeds from it, so the model's weights, and with them how well conditioned the check is, are
 * the same on every run. (A plain LCG, kept so the bounds below stay those the checks were tuned on.)
 */
export function withSeededRandom<T>(seed: number, build: () => T): T {
  const random = Math.random;
  let state = seed >>> 0 || 1;
  Math.random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  try {
    return build();
  } finally {
    Math.random = random;
  }
}

/**
 * `build` makes the model (on the `cpu` backend, so its weights start there; seeded, see above).
 * Leaves `backend` (already initialised by the caller) active. Training-mode forwards update the
 * batch-norm moving statistics, so the outputs are compared before any gradient is taken.
 */
export async function checkModelGradients(
  build: () => tf.LayersModel,
  options: { batch: number; size: number; channels: number; seed?: number; backend?: 'wasm' | 'webgpu' },
): Promise<GradientCheck> {
  const { batch, size, channels } = options;
  await tf.setBackend('cpu');
  const model = withSeededRandom(options.seed ?? 1, build);
  const fused = fuseBatchNormRelu(model);
  const expectedOutputs = await outputs(model, batch, size, channels);
  const expected = await gradients(model, batch, size, channels);
  await tf.setBackend(options.backend ?? 'wasm');
  const actualOutputs = await outputs(fused, batch, size, channels);
  const actual = await gradients(fused, batch, size, channels);
  const nudged = await gradients(fused, batch, size, channels, 1 + 1e-6);
  const weights = model.countParams();
  model.dispose();
  fused.dispose();
  const { median, p99, worstTensor } = compareGradients(actual, expected);
  const sensitivity = compareGradients(nudged, actual);
  return {
    weights,
    median,
    p99,
    worstTensor,
    sensitivity: { median: sensitivity.median, p99: sensitivity.p99 },
    outputs: { training: relativeMaxError(actualOutputs[0]!, expectedOutputs[0]!), inference: relativeMaxError(actualOutputs[1]!, expectedOutputs[1]!) },
  };
}
