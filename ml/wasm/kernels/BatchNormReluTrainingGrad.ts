/**
 * Gradient of BatchNormReluTraining (a project kernel). Inputs dy, x, y (the forward output), gamma,
 * mean, variance; attr epsilon; outputs [dx, dgamma, dbeta].
 *
 * With z the pre-ReLU value, dz = dy·[y > 0], x̂ = (x − μ)·r, r = 1/√(σ² + ε) and M pixels per channel:
 *   dβ = Σ dz,  dγ = Σ dz·x̂,  dx = γ·r·(dz − dβ/M − x̂·dγ/M)
 * (the batch statistics depend on x, hence the two correction terms). dx is affine in (dz, x) per
 * channel, so it takes two passes: the sums, then dx = a·dz + b·(x − μ) + k (SIMD loops when C is a
 * multiple of 4, JavaScript otherwise).
 */
import type * as tf from '@tensorflow/tfjs';
import { allocate, f32, heapF32, heapOffset, scratch, upload, type Attrs, type BackendWasm, type TensorInfo } from '../heap.js';
import { simdKernels, type SimdKernels } from '../simd/module.js';
import { blockSums, shareRows } from './BatchNormReluTraining.js';

function gradientSumsSimd(backend: BackendWasm, simd: SimdKernels, dy: TensorInfo, x: TensorInfo, y: TensorInfo, channels: number): [Float64Array, Float64Array] {
  const pointers = [heapOffset(backend, dy), heapOffset(backend, x), heapOffset(backend, y)];
  return blockSums(backend, simd, 'reluGradSumsBlocks', pointers, f32(backend, x).length, channels);
}

function gradientSumsJs(gradOut: Float32Array, input: Float32Array, output: Float32Array, channels: number): [Float64Array, Float64Array] {
  const sumDz = new Float64Array(channels);
  const sumDzX = new Float64Array(channels);
  for (let base = 0; base < input.length; base += channels) {
    for (let c = 0; c < channels; c++) {
      if (output[base + c] > 0) {
        const d = gradOut[base + c];
        sumDz[c] += d;
        sumDzX[c] += d * input[base + c];
      }
    }
  }
  return [sumDz, sumDzX];
}

export const BatchNormReluTrainingGrad = 'BatchNormReluTrainingGrad';

export function batchNormReluTrainingGrad(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: Attrs }): TensorInfo[] {
  const backend = args.backend as BackendWasm;
  const { dy, x, y, gamma, mean, variance } = args.inputs as Record<string, TensorInfo>;
  const epsilon = (args.attrs?.epsilon as number | undefined) ?? 1e-3;
  const channels = x.shape[x.shape.length - 1];
  const simd = channels % 4 === 0 ? simdKernels(backend) : null;
  const [sumDz, sumDzX] = simd
    ? gradientSumsSimd(backend, simd, dy, x, y, channels)
    : gradientSumsJs(f32(backend, dy), f32(backend, x), f32(backend, y), channels);

  const count = f32(backend, x).length / channels;
  const g = f32(backend, gamma);
  const mu = f32(backend, mean).slice();
  const v = f32(backend, variance);
  const dGamma = new Float32Array(channels);
  const dBeta = new Float32Array(channels);
  const a = new Float32Array(channels);
  const b = new Float32Array(channels);
  const k = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const r = 1 / Math.sqrt(v[c] + epsilon);
    const dg = r * (sumDzX[c] - mu[c] * sumDz[c]);
    dGamma[c] = dg;
    dBeta[c] = sumDz[c];
    a[c] = g[c] * r;
    b[c] = -g[c] * r * r * dg / count;
    k[c] = -g[c] * r * sumDz[c] / count;
  }

  const dx = allocate(backend, x.shape);
  const outputs = [dx, upload(backend, dGamma, [channels]), upload(backend, dBeta, [channels])];
  if (simd) {
    const factors = scratch(backend, 4 * channels);
    const p = factors.pointer;
    const stride = channels * 4;
    heapF32(backend, p, channels).set(a);
    heapF32(backend, p + stride, channels).set(b);
    heapF32(backend, p + 2 * stride, channels).set(mu);
    heapF32(backend, p + 3 * stride, channels).set(k);
    const bytes = f32(backend, x).length * 4;
    const bases = [heapOffset(backend, dy), heapOffset(backend, x), heapOffset(backend, y), heapOffset(backend, dx)];
    try {
      shareRows(simd, 'reluGradApply', bytes, stride,
        (start, length) => [...bases.map((base) => base + start), length, stride, p, p + stride, p + 2 * stride, p + 3 * stride]);
    } finally {
      factors.free();
    }
    return outputs;
  }
  const out = f32(backend, dx);
  const gradOut = f32(backend, dy);
  const input = f32(backend, x);
  const output = f32(backend, y);
  const means = f32(backend, mean);
  for (let base = 0; base < input.length; base += channels) {
    for (let c = 0; c < channels; c++) {
      const dz = output[base + c] > 0 ? gradOut[base + c] : 0;
      out[base + c] = a[c] * dz + b[c] * (input[base + c] - means[c]) + k[c];
    }
  }
  return outputs;
}

export const batchNormReluTrainingGradConfig: tf.KernelConfig = {
  kernelName: BatchNormReluTrainingGrad,
  backendName: 'wasm',
  kernelFunc: batchNormReluTrainingGrad,
};
