/**
 * The project's WebGPU kernels against the `cpu` backend's stock composition: fused BatchNorm+ReLU
 * (outputs, statistics, gradients), the SGD step, and the bilinear-resize gradient where tfjs's own is
 * wrong (1-pixel inputs). Runs on SwiftShader where there is no GPU.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/backends.js';
import { hasFusedBatchNormRelu } from '../wasm/batchNormRelu.js';
import { SgdUpdate } from '../wasm/kernels/SgdUpdate.js';
import { batchNormReluPasses, pseudoRandom, relativeError, runOn, threeSgdSteps } from '../wasm/testing.js';
import { webgpuKernelConfigs } from './register.js';
import { webgpuSkipReason } from './testing.js';

const skip = await webgpuSkipReason();
if (skip) console.warn(`skipping the WebGPU kernel tests: ${skip}`);

describe.skipIf(skip !== null)('project kernels on webgpu', () => {
  beforeAll(async () => {
    await initBackend('webgpu');
  }, 120_000);

  it('are registered on webgpu', () => {
    for (const config of webgpuKernelConfigs) expect(tf.getKernel(config.kernelName, 'webgpu')?.kernelFunc, config.kernelName).toBe(config.kernelFunc);
    expect(hasFusedBatchNormRelu('webgpu')).toBe(true);
    expect(tf.getKernel(SgdUpdate, 'webgpu')).toBeDefined();
  });

  it.each([
    { name: 'NHWC, 8 channels', shape: [4, 6, 6, 8] },
    { name: 'NHWC, 3 channels', shape: [2, 5, 5, 3] },
    { name: 'several row chunks, 70 channels (two workgroups across)', shape: [2, 16, 20, 70] },
    { name: 'a dense [batch, features] input', shape: [32, 12] },
  ])('fused BatchNorm+ReLU matches BatchNormalization + ReLU on cpu: $name', async ({ shape }) => {
    // A large offset catches cancellation in the variance.
    const expected = await runOn('cpu', () => batchNormReluPasses(shape, 5, 11));
    const before = tf.memory().numTensors;
    const actual = await runOn('webgpu', () => batchNormReluPasses(shape, 5, 11));
    expect(tf.memory().numTensors).toBe(before);
    const labels = ['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta'];
    for (const [i, label] of labels.entries()) expect(relativeError(actual[i]!, expected[i]!), label).toBeLessThan(1e-4);
  });

  it.each([[true], [false]])('the SGD step matches the composed update on cpu over three steps (Nesterov %s)', async (nesterov) => {
    const reference = await threeSgdSteps('cpu', nesterov);
    const fused = await threeSgdSteps('webgpu', nesterov);
    fused.weights.forEach((w, i) => expect(relativeError(w, reference.weights[i]!)).toBeLessThan(1e-6));
    expect(fused.leaked).toBe(0);
  });

  it.each([
    { from: 1, to: 2, alignCorners: true },
    { from: 1, to: 5, alignCorners: true },
    { from: 4, to: 7, alignCorners: true },
    { from: 5, to: 3, alignCorners: true },
    { from: 3, to: 8, alignCorners: false },
  ])('the bilinear resize gradient matches cpu: $from -> $to, align corners $alignCorners', async ({ from, to, alignCorners }) => {
    const gradient = () => {
      const x = tf.tensor4d(pseudoRandom(2 * from * from * 3, 1), [2, from, from, 3]);
      const dy = tf.tensor4d(pseudoRandom(2 * to * to * 3, 2), [2, to, to, 3]);
      return tf.grad((t: tf.Tensor) => tf.image.resizeBilinear(t as tf.Tensor4D, [to, to], alignCorners).mul(dy).sum())(x);
    };
    const [expected] = await runOn('cpu', gradient);
    const [actual] = await runOn('webgpu', gradient);
    expect(relativeError(actual!, expected!)).toBeLessThan(1e-6);
  });
});
