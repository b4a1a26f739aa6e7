/**
 * Training-mode batch normalisation fused with the ReLU after it (a project kernel, not a TensorFlow
 * one): y = max(0, γ·(x − μ)/√(σ² + ε) + β) with μ, σ² the per-channel batch mean and (biased) variance,
 * which it also returns for the moving averages. Inputs x [..., C], gamma [C], beta [C]; attr epsilon;
 * outputs [y, mean, variance].
 *
 * Why a kernel: tfjs composes training BN from moments (which transpose before reducing), a broadcast
 * BatchNorm and a separate ReLU, and its gradient tiles [C] vectors up to the full tensor. On the wasm
 * backend that was the largest cost of a training step after the convolutions, and at batch 64 it
 * pushed the heap past 4 GB. Here it is two passes over x: statistics, then normalise-and-clip.
 */
import type * as tf from '@tensorflow/tfjs';
import { allocate, f32, upload, type Attrs, type BackendWasm, type TensorInfo } from '../heap.js';

export const BatchNormReluTraining = 'BatchNormReluTraining';

/**
 * Per-channel mean and biased variance of an [M, C] row-major array. Sums are kept in double precision
 * (JavaScript numbers), so E[x²] − E[x]² does not cancel badly at float32 batch statistics.
 */
export function channelMoments(x: Float32Array, channels: number): { mean: Float64Array; variance: Float64Array } {
  const sum = new Float64Array(channels);
  const squares = new Float64Array(channels);
  // Rows are summed in float32-sized runs into double accumulators: fast, and exact enough.
  for (let base = 0; base < x.length; base += channels) {
    for (let c = 0; c < channels; c++) {
      const v = x[base + c];
      sum[c] += v;
      squares[c] += v * v;
    }
  }
  const count = x.length / channels;
  const mean = new Float64Array(channels);
  const variance = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    mean[c] = sum[c] / count;
    variance[c] = Math.max(0, squares[c] / count - mean[c] * mean[c]);
  }
  return { mean, variance };
}

export function batchNormReluTraining(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: Attrs }): TensorInfo[] {
  const backend = args.backend as BackendWasm;
  const { x, gamma, beta } = args.inputs as { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo };
  const epsilon = (args.attrs?.epsilon as number | undefined) ?? 1e-3;
  const channels = x.shape[x.shape.length - 1];
  const { mean, variance } = channelMoments(f32(backend, x), channels);

  const y = allocate(backend, x.shape);
  const g = f32(backend, gamma);
  const b = f32(backend, beta);
  const scale = new Float32Array(channels);
  const shift = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    scale[c] = g[c] / Math.sqrt(variance[c] + epsilon);
    shift[c] = b[c] - mean[c] * scale[c];
  }
  const input = f32(backend, x);
  const out = f32(backend, y);
  for (let base = 0; base < input.length; base += channels) {
    for (let c = 0; c < channels; c++) {
      const v = input[base + c] * scale[c] + shift[c];
      out[base + c] = v > 0 ? v : 0;
    }
  }
  return [y, upload(backend, Float32Array.from(mean), [channels]), upload(backend, Float32Array.from(variance), [channels])];
}

export const batchNormReluTrainingConfig: tf.KernelConfig = {
  kernelName: BatchNormReluTraining,
  backendName: 'wasm',
  kernelFunc: batchNormReluTraining,
};
