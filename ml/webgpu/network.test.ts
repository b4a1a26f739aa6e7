/**
 * The WebGPU training path against the pure-JavaScript reference: a small network's outputs and the
 * gradient of every weight, on `webgpu` with the project kernels (fused BatchNorm+ReLU, SGD step)
 * against `cpu` running the stock layers. On machines without a GPU this runs on SwiftShader.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/backends.js';
import { checkModelGradients } from '../engine/gradientCheck.js';
import { buildModel } from '../model/index.js';
import { webgpuSkipReason } from './testing.js';

const skip = await webgpuSkipReason();
if (skip) console.warn(`skipping the WebGPU network checks: ${skip}`);

describe.skipIf(skip !== null)('whole-network outputs and gradients on webgpu agree with the cpu backend', () => {
  beforeAll(async () => {
    await initBackend('webgpu');
  }, 120_000);

  it('lite-16 at 8x8, batch 4, with the fused kernels', async () => {
    const before = tf.memory().numTensors;
    const result = await checkModelGradients(() => buildModel('lite-16', { inputShape: [8, 8, 3], numClasses: 10 }), {
      batch: 4, size: 8, channels: 3, backend: 'webgpu',
    });
    // The same bounds as the wasm check (ml/wasm/network.test.ts): agreement down to the network's own
    // noise floor, which scaling the input by (1 + 1e-6) shows.
    expect(result.median).toBeLessThan(Math.max(1e-4, 4 * result.sensitivity.median));
    expect(result.p99).toBeLessThan(Math.max(0.05, 4 * result.sensitivity.p99));
    expect(result.outputs.training).toBeLessThan(1e-4);
    expect(result.outputs.inference).toBeLessThan(1e-4);
    expect(tf.memory().numTensors).toBe(before);
  }, 300_000);
});
