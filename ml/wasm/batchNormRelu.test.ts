import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/backends.js';
import { BatchNormRelu } from '../layers/batchNormRelu.js';
import { fusableBatchNormReluPairs, fuseBatchNormRelu, unfuseBatchNormRelu } from '../layers/fuseBatchNormRelu.js';
import { hasFusedBatchNormRelu } from './batchNormRelu.js';
import { simdKernels } from './simd/module.js';
import { batchNormReluPasses, pseudoRandom, relativeError, runOn } from './testing.js';

const TOLERANCE = 1e-4;

/** Shapes with C a multiple of 4 take the SIMD path; the others the JavaScript one. */
const cases = [
  { name: 'NHWC, 8 channels (SIMD)', shape: [4, 6, 6, 8] },
  { name: 'NHWC, 3 channels (JavaScript)', shape: [2, 5, 5, 3] },
  { name: 'more rows than one partial-sum block', shape: [3, 16, 16, 16] },
  { name: 'a dense [batch, features] input', shape: [32, 12] },
];

/** Output, statistics and gradients for x with a large offset (catches cancellation in the variance). */
const forwardAndGrads = (shape: number[]): tf.Tensor[] => batchNormReluPasses(shape, 5, 11);

describe('fused BatchNorm+ReLU', () => {
  beforeAll(async () => {
    await initBackend('wasm', { threads: 1 });
  });

  it('has its kernels and SIMD loops on wasm, and falls back to the stock composition on cpu', async () => {
    await tf.setBackend('wasm');
    expect(hasFusedBatchNormRelu('wasm')).toBe(true);
    expect(simdKernels(tf.backend() as never)).not.toBeNull();
    expect(hasFusedBatchNormRelu('cpu')).toBe(false);
  });

  it.each(cases)('matches BatchNormalization + ReLU on cpu: $name', async ({ shape }) => {
    const expected = await runOn('cpu', () => forwardAndGrads(shape));
    const actual = await runOn('wasm', () => forwardAndGrads(shape));
    const labels = ['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta'];
    const errors = Object.fromEntries(actual.map((a, i) => [labels[i], relativeError(a, expected[i])]));
    for (const label of labels) expect(errors[label], label).toBeLessThan(TOLERANCE);
  });

  it('leaves no tensors behind, forward or backward', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    await runOn('wasm', () => forwardAndGrads([2, 4, 4, 8]));
    expect(tf.memory().numTensors).toBe(before);
  });
});

function tinyModel(): tf.LayersModel {
  const input = tf.input({ shape: [6, 6, 3] });
  let h = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', useBias: false, name: 'conv', kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization({ epsilon: 1e-5, momentum: 0.9, name: 'bn' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.reLU({ name: 'relu' }).apply(h) as tf.SymbolicTensor;
  const skip = tf.layers.batchNormalization({ name: 'bn_shared' }).apply(h) as tf.SymbolicTensor;
  const a = tf.layers.reLU({ name: 'relu_a' }).apply(skip) as tf.SymbolicTensor;
  const b = tf.layers.activation({ activation: 'sigmoid', name: 'gate' }).apply(skip) as tf.SymbolicTensor;
  h = tf.layers.multiply({ name: 'mul' }).apply([a, b]) as tf.SymbolicTensor;
  h = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 4, name: 'logits', kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

describe('BatchNormRelu layer and fuseBatchNormRelu', () => {
  beforeAll(async () => {
    await initBackend('wasm', { threads: 1 });
  });

  it('fuses only BN layers whose sole consumer is a ReLU', async () => {
    await tf.setBackend('wasm');
    const model = tinyModel();
    expect(fusableBatchNormReluPairs(model)).toEqual([['bn', 'relu']]);
    const fused = fuseBatchNormRelu(model);
    expect(fused.getLayer('bn')).toBeInstanceOf(BatchNormRelu);
    expect(fused.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
    model.dispose();
    fused.dispose();
  });

  it('trains like the unfused model: same logits, gradients and moving statistics', async () => {
    await tf.setBackend('wasm');
    const model = tinyModel();
    const fused = fuseBatchNormRelu(model);
    const x = tf.tensor4d(pseudoRandom(2 * 6 * 6 * 3, 21), [2, 6, 6, 3]);
    const step = (m: tf.LayersModel): Float32Array[] => {
      const { value, grads } = tf.variableGrads(() => (m.apply(x, { training: true }) as tf.Tensor).square().mean() as tf.Scalar,
        m.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val));
      const out = [value.dataSync() as Float32Array, ...Object.values(grads).map((g) => g.dataSync() as Float32Array)];
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    };
    const reference = step(model);
    const actual = step(fused);
    // Whole-model gradients: dγ = Σ dz·x̂ cancels heavily over 72 pixels, so float32 summation order alone
    // moves it by ~1e-4 of its largest entry; the kernels themselves are held to 1e-4 above.
    actual.forEach((a, i) => expect(relativeError(a, reference[i]), `output ${i}`).toBeLessThan(1e-3));
    const stats = (m: tf.LayersModel): Float32Array[] => m.getLayer('bn').getWeights().map((w) => w.dataSync() as Float32Array);
    stats(fused).forEach((a, i) => expect(relativeError(a, stats(model)[i])).toBeLessThan(TOLERANCE));
    const inference = [model, fused].map((m) => tf.tidy(() => (m.predict(x) as tf.Tensor).dataSync() as Float32Array));
    expect(relativeError(inference[1], inference[0])).toBeLessThan(TOLERANCE);
    tf.dispose([x]);
    model.dispose();
    fused.dispose();
  });

  it('round-trips through the serialised model config', async () => {
    await tf.setBackend('wasm');
    const fused = fuseBatchNormRelu(tinyModel());
    const restored = tf.LayersModel.fromConfig(tf.LayersModel, fused.getConfig()) as tf.LayersModel;
    expect(restored.getLayer('bn')).toBeInstanceOf(BatchNormRelu);
    expect(restored.getLayer('bn').getConfig()).toEqual(fused.getLayer('bn').getConfig());
    fused.dispose();
    restored.dispose();
  });

  it('unfuses back to stock BatchNormalization + ReLU with the same names, weights and outputs', async () => {
    await tf.setBackend('wasm');
    const model = tinyModel();
    const fused = fuseBatchNormRelu(model);
    const plain = unfuseBatchNormRelu(fused);
    const reluOfPair = new Set(fusableBatchNormReluPairs(model).map(([, relu]) => relu));
    expect(plain.layers.map((l) => l.getClassName())).toEqual(model.layers.map((l) => reluOfPair.has(l.name) ? 'Activation' : l.getClassName()));
    expect(plain.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
    expect(JSON.stringify(plain.toJSON(null, false))).not.toContain('BatchNormRelu');
    const x = tf.tensor4d(pseudoRandom(2 * 6 * 6 * 3, 5), [2, 6, 6, 3]);
    const [a, b] = [fused, plain].map((m) => tf.tidy(() => (m.predict(x) as tf.Tensor).dataSync() as Float32Array));
    expect(relativeError(b, a)).toBeLessThan(TOLERANCE);
    expect(unfuseBatchNormRelu(model)).toBe(model);
    x.dispose();
    [model, fused, plain].forEach((m) => m.dispose());
  });
});
