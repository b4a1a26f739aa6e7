import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/backends.js';
import { setSharingThresholds, setSimdHelpers, simdKernels } from './simd/module.js';
import { splitByShares } from './simd/threads.js';
import { batchNormReluPasses, pseudoRandom, relativeError, runOn } from './testing.js';

const TOLERANCE = 1e-4;

/**
 * Filter gradients shared out by column tiles (Co = 64: 8 tiles), by row tiles (Ci = 32, Co = 4), and,
 * where there are fewer than 8 tiles either way, by images into separate sums (not bit-identical then:
 * the sum order changes).
 */
const filterCases: {
  name: string; x: [number, number, number, number]; filter: [number, number, number, number]; strides: number; exact: boolean;
}[] = [
  { name: '3x3, 16 -> 64 channels (column tiles)', x: [2, 10, 10, 16], filter: [3, 3, 16, 64], strides: 1, exact: true },
  { name: '3x3, 32 -> 4 channels (row tiles)', x: [3, 10, 10, 32], filter: [3, 3, 32, 4], strides: 1, exact: true },
  { name: '3x3, 16 -> 32 channels (images)', x: [5, 12, 12, 16], filter: [3, 3, 16, 32], strides: 1, exact: false },
  { name: '1x1 stride 2, 24 -> 16 channels (images)', x: [4, 9, 9, 24], filter: [1, 1, 24, 16], strides: 2, exact: false },
  { name: 'RGB stem 3x3, 3 -> 16 channels (images)', x: [4, 8, 8, 3], filter: [3, 3, 3, 16], strides: 1, exact: false },
];

function filterGradient(c: (typeof filterCases)[number]): tf.Tensor {
  const x = tf.tensor4d(pseudoRandom(tf.util.sizeFromShape(c.x), 11), c.x);
  const w = tf.tensor4d(pseudoRandom(tf.util.sizeFromShape(c.filter), 12), c.filter);
  const y = tf.conv2d(x, w, c.strides, 'same');
  const dy = tf.tensor4d(pseudoRandom(y.size, 13), y.shape);
  return tf.grad((b: tf.Tensor) => tf.conv2d(x, b as tf.Tensor4D, c.strides, 'same'))(w, dy);
}

/** Fused BN+ReLU forward and backward on a tensor large enough (512 KiB) to be split between threads. */
const batchNormPasses = (): tf.Tensor[] => batchNormReluPasses([4, 32, 32, 32], 2, 21);

function helpersRun(): number {
  return simdKernels(tf.backend() as never)?.threads?.handedOver ?? 0;
}

describe('SIMD kernels on helper threads', () => {
  let thresholds: ReturnType<typeof setSharingThresholds>;
  beforeAll(async () => {
    const backend = await initBackend('wasm', { threads: 2 });
    expect(backend.threads).toBe(2);
    // Share out even these small cases, so the split paths are what is checked.
    thresholds = setSharingThresholds({ minBytes: 1 << 16, minMultiplyAdds: 1e4 });
  });

  afterAll(() => {
    setSimdHelpers(true);
    setSharingThresholds(thresholds);
  });

  it('start one helper beside the calling thread on the 2-thread build', async () => {
    await tf.setBackend('wasm');
    expect(simdKernels(tf.backend() as never)?.threads?.helpers).toBe(1);
  });

  it.each(filterCases)('filter gradient agrees with cpu and with one thread: $name', async (c) => {
    const expected = await runOn('cpu', () => filterGradient(c));
    setSimdHelpers(true);
    await tf.setBackend('wasm');
    simdKernels(tf.backend() as never);
    // A helper takes its first job once its thread has started; wait for that before measuring.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const before = helpersRun();
    const [shared] = await runOn('wasm', () => filterGradient(c));
    expect(helpersRun()).toBeGreaterThan(before);
    setSimdHelpers(false);
    const [alone] = await runOn('wasm', () => filterGradient(c));
    setSimdHelpers(true);
    expect(relativeError(shared, expected[0])).toBeLessThan(TOLERANCE);
    if (c.exact) expect(Array.from(shared)).toEqual(Array.from(alone));
    else expect(relativeError(shared, alone)).toBeLessThan(1e-6);
  });

  it('fused BatchNorm+ReLU passes agree with cpu and with one thread', async () => {
    const expected = await runOn('cpu', batchNormPasses);
    await tf.setBackend('wasm');
    simdKernels(tf.backend() as never);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const before = helpersRun();
    const shared = await runOn('wasm', batchNormPasses);
    expect(helpersRun() - before).toBeGreaterThanOrEqual(4);
    setSimdHelpers(false);
    const alone = await runOn('wasm', batchNormPasses);
    setSimdHelpers(true);
    for (let i = 0; i < expected.length; i++) {
      expect(relativeError(shared[i], expected[i])).toBeLessThan(TOLERANCE);
      expect(Array.from(shared[i])).toEqual(Array.from(alone[i]));
    }
  });

  it('gives the same bits on every repeat while the split adapts (reproducible training)', async () => {
    await tf.setBackend('wasm');
    const everything = (): tf.Tensor[] => [...filterCases.map(filterGradient), ...batchNormPasses()];
    const first = await runOn('wasm', everything);
    for (let repeat = 0; repeat < 3; repeat++) {
      const again = await runOn('wasm', everything);
      again.forEach((values, i) => expect(Array.from(values)).toEqual(Array.from(first[i])));
    }
  });

  it('leaves no tensors behind', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    await runOn('wasm', () => filterGradient(filterCases[0]));
    await runOn('wasm', batchNormPasses);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('splitByShares', () => {
  it('splits by shares, dropping empty ranges', () => {
    expect(splitByShares(10, [0.7, 0.3])).toEqual([[0, 7], [7, 10]]);
    expect(splitByShares(4, [0.5, 0.25, 0.25])).toEqual([[0, 2], [2, 3], [3, 4]]);
    expect(splitByShares(3, [0.1, 0.9])).toEqual([[0, 3]]);
  });
});
