/**
 * Gradient of BatchNormReluTraining (a project kernel). Inputs dy, x, y (the forward output), gamma,
 * mean, variance; attr epsilon; outputs [dx, dgamma, dbeta].
 *
 * With z the pre-ReLU value, dz = dy·[y > 0], x̂ = (x − μ)·r, r = 1/√(σ² + ε) and M pixels per channel:
 *   dβ = Σ dz,  dγ = Σ dz·x̂,  dx = γ·r·(dz − dβ/M − x̂·dγ/M)
 * (the batch statistics depend on x, hence the two correction terms). dx is affine in (dz, x) per
 * channel, so it takes two passes: the sums, then dx = a·dz + b·x + c.
 */
import type * as tf from '@tensorflow/tfjs';
import { allocate, f32, upload, type Attrs, type BackendWasm, type TensorInfo } from '../heap.js';

export const BatchNormReluTrainingGrad = 'BatchNormReluTrainingGrad';

export function batchNormReluTrainingGrad(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: Attrs }): TensorInfo[] {
  const backend = args.backend as BackendWasm;
  const { dy, x, y, gamma, mean, variance } = args.inputs as Record<string, TensorInfo>;
  const epsilon = (args.attrs?.epsilon as number | undefined) ?? 1e-3;
  const channels = x.shape[x.shape.length - 1];

  const gradOut = f32(backend, dy);
  const input = f32(backend, x);
  const output = f32(backend, y);
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

  const count = input.length / channels;
  const g = f32(backend, gamma);
  const mu = f32(backend, mean);
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
    k[c] = g[c] * r * (r * mu[c] * dg - sumDz[c]) / count;
  }

  const dx = allocate(backend, x.shape);
  const out = f32(backend, dx);
  const gradOut2 = f32(backend, dy);
  const input2 = f32(backend, x);
  const output2 = f32(backend, y);
  for (let base = 0; base < input2.length; base += channels) {
    for (let c = 0; c < channels; c++) {
      const dz = output2[base + c] > 0 ? gradOut2[base + c] : 0;
      out[base + c] = a[c] * dz + b[c] * input2[base + c] + k[c];
    }
  }
  return [dx, upload(backend, dGamma, [channels]), upload(backend, dBeta, [channels])];
}

export const batchNormReluTrainingGradConfig: tf.KernelConfig = {
  kernelName: BatchNormReluTrainingGrad,
  backendName: 'wasm',
  kernelFunc: batchNormReluTrainingGrad,
};
