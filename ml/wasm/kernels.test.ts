import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/backends.js';
import { pseudoRandom, relativeError, runOn } from './testing.js';

type Pad = 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]];

interface ConvCase {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: Pad;
}

const convCases: ConvCase[] = [
  { name: '1x1, more inputs than outputs', x: [2, 8, 8, 24], filter: [1, 1, 24, 16], strides: 1, pad: 'same' },
  { name: '1x1, more outputs than inputs', x: [2, 8, 8, 8], filter: [1, 1, 8, 32], strides: 1, pad: 'valid' },
  { name: '1x1 over more pixels than one chunk', x: [5, 32, 32, 8], filter: [1, 1, 8, 12], strides: 1, pad: 'same' },
  { name: '1x1, stride 2 (projection shortcut)', x: [2, 8, 8, 16], filter: [1, 1, 16, 32], strides: 2, pad: 'valid' },
  { name: '3x3 same', x: [2, 8, 8, 16], filter: [3, 3, 16, 16], strides: 1, pad: 'same' },
  { name: '3x3 valid', x: [2, 9, 7, 8], filter: [3, 3, 8, 12], strides: 1, pad: 'valid' },
  { name: '3x3 stride 2 valid on a pre-padded input', x: [2, 10, 10, 8], filter: [3, 3, 8, 8], strides: 2, pad: 'valid' },
  { name: '3x3 stride 2 same, even size', x: [2, 8, 8, 8], filter: [3, 3, 8, 16], strides: 2, pad: 'same' },
  { name: '3x3 stride 2 same, odd size', x: [2, 9, 9, 8], filter: [3, 3, 8, 8], strides: 2, pad: 'same' },
  { name: '3x3 stride 2, explicit padding 1', x: [1, 8, 8, 8], filter: [3, 3, 8, 8], strides: 2, pad: [[0, 0], [1, 1], [1, 1], [0, 0]] },
  { name: '3x3 stride (2, 1), rectangular', x: [1, 7, 5, 12], filter: [3, 3, 12, 8], strides: [2, 1], pad: 'same' },
  { name: 'RGB stem 3x3', x: [2, 8, 8, 3], filter: [3, 3, 3, 16], strides: 1, pad: 'same' },
  { name: 'grey stem 3x3 stride 2', x: [2, 9, 9, 1], filter: [3, 3, 1, 8], strides: 2, pad: 'same' },
  { name: '5x5 valid', x: [1, 9, 9, 8], filter: [5, 5, 8, 8], strides: 1, pad: 'valid' },
  { name: '2x2 stride 2 valid', x: [2, 8, 8, 8], filter: [2, 2, 8, 8], strides: 2, pad: 'valid' },
  { name: '3x3 stride 3 same', x: [1, 10, 10, 8], filter: [3, 3, 8, 8], strides: 3, pad: 'same' },
  // Output channels not a multiple of 4 take the XNNPACK-based paths instead of the SIMD outer products.
  { name: '1x1 to 6 channels', x: [2, 8, 8, 8], filter: [1, 1, 8, 6], strides: 1, pad: 'same' },
  { name: '3x3 stride 2 to 6 channels', x: [2, 9, 9, 8], filter: [3, 3, 8, 6], strides: 2, pad: 'same' },
  { name: 'RGB stem to 5 channels', x: [2, 8, 8, 3], filter: [3, 3, 3, 5], strides: 1, pad: 'same' },
];

function convGrads(c: ConvCase): tf.Tensor[] {
  const x = tf.tensor4d(pseudoRandom(tf.util.sizeFromShape(c.x), 1), c.x);
  const w = tf.tensor4d(pseudoRandom(tf.util.sizeFromShape(c.filter), 2), c.filter);
  const y = tf.conv2d(x, w, c.strides, c.pad);
  const dy = tf.tensor4d(pseudoRandom(y.size, 3), y.shape);
  const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad))([x, w], dy);
  return [y, dx, dw];
}

interface PoolCase {
  name: string;
  x: [number, number, number, number];
  size: number | [number, number];
  strides: number | [number, number];
  pad: 'same' | 'valid' | number;
  negative?: boolean;
}

const poolCases: PoolCase[] = [
  { name: '3x3 stride 2 same, even size (mask branch)', x: [2, 8, 8, 8], size: 3, strides: 2, pad: 'same' },
  { name: '3x3 stride 2 same, odd size 7 -> 4', x: [2, 7, 7, 8], size: 3, strides: 2, pad: 'same' },
  { name: '3x3 stride 2 padding 1 (PyTorch-style)', x: [2, 8, 8, 4], size: 3, strides: 2, pad: 1 },
  { name: '3x3 stride 1 same', x: [1, 8, 8, 4], size: 3, strides: 1, pad: 'same' },
  { name: '2x2 stride 2 valid', x: [2, 8, 8, 8], size: 2, strides: 2, pad: 'valid' },
  { name: 'all-negative windows, 3x3 stride 1 same', x: [1, 8, 8, 4], size: 3, strides: 1, pad: 'same', negative: true },
  { name: 'all-negative windows, 3x3 stride 2 same', x: [2, 7, 7, 16], size: 3, strides: 2, pad: 'same', negative: true },
  // C not a multiple of 4 takes the JavaScript loop instead of the SIMD one.
  { name: '3x3 stride 2 same, 3 channels', x: [2, 7, 7, 3], size: 3, strides: 2, pad: 'same' },
  { name: 'all-negative windows, 6 channels', x: [1, 6, 6, 6], size: 3, strides: 1, pad: 'same', negative: true },
  { name: '3x2 window, stride (1, 2), rectangular', x: [2, 9, 6, 12], size: [3, 2], strides: [1, 2], pad: 'same' },
];

function poolGrad(c: PoolCase): tf.Tensor[] {
  const values = pseudoRandom(tf.util.sizeFromShape(c.x), 4);
  if (c.negative) for (let i = 0; i < values.length; i++) values[i] = -2 - values[i];
  const x = tf.tensor4d(values, c.x);
  const y = tf.maxPool(x, c.size, c.strides, c.pad);
  const dy = tf.tensor4d(pseudoRandom(y.size, 5), y.shape);
  const dx = tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, c.size, c.strides, c.pad))(x, dy);
  return [y, dx];
}

const TOLERANCE = 1e-4;

describe.each([
  { relaxedSimd: true, label: 'with relaxed-SIMD multiply-add' },
  { relaxedSimd: false, label: 'with separate multiply and add' },
])('filter gradients $label', ({ relaxedSimd }) => {
  beforeAll(async () => {
    const backend = await initBackend('wasm', { threads: 1, relaxedSimd });
    // Node 20 gets the V8 flag turned on, later runtimes have relaxed SIMD anyway.
    expect(backend.detail.includes('relaxed-SIMD FMA')).toBe(relaxedSimd);
  });

  it.each(convCases.filter((c) => c.filter[3] % 4 === 0))('agree with cpu: $name', async (c) => {
    const expected = await runOn('cpu', () => convGrads(c));
    const actual = await runOn('wasm', () => convGrads(c));
    expect(relativeError(actual[2], expected[2])).toBeLessThan(TOLERANCE);
  });
});

describe('project kernels on the wasm backend agree with the cpu backend', () => {
  beforeAll(async () => {
    await initBackend('wasm', { threads: 1 });
  });

  it.each(convCases)('conv2d gradients: $name', async (c) => {
    const expected = await runOn('cpu', () => convGrads(c));
    const actual = await runOn('wasm', () => convGrads(c));
    const [y, dx, dw] = actual.map((a, i) => relativeError(a, expected[i]));
    expect(y).toBeLessThan(TOLERANCE);
    expect(dx).toBeLessThan(TOLERANCE);
    expect(dw).toBeLessThan(TOLERANCE);
  });

  it.each(poolCases)('maxPool gradient: $name', async (c) => {
    const expected = await runOn('cpu', () => poolGrad(c));
    const actual = await runOn('wasm', () => poolGrad(c));
    expect(relativeError(actual[0], expected[0])).toBeLessThan(TOLERANCE);
    expect(relativeError(actual[1], expected[1])).toBeLessThan(TOLERANCE);
  });

  it('identity shares the buffer instead of copying it, and frees it with the last reference', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const before = backend.numDataIds();
    const x = tf.tensor1d(pseudoRandom(1024, 6));
    const y = tf.clone(x);
    expect(backend.numDataIds() - before).toBe(1);
    x.dispose();
    expect(Array.from(y.dataSync().slice(0, 3))).toEqual(Array.from(pseudoRandom(3, 6)));
    y.dispose();
    expect(backend.numDataIds()).toBe(before);
  });

  it('casts to the same dtype without a copy, and still converts between dtypes', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const x = tf.tensor1d([1.5, -2.5, 3]);
    const before = backend.numDataIds();
    const same = tf.cast(x, 'float32');
    expect(backend.numDataIds()).toBe(before);
    const ints = tf.cast(x, 'int32');
    expect(Array.from(ints.dataSync())).toEqual([1, -2, 3]);
    tf.dispose([x, same, ints]);
  });

  it('leaves no tensors behind', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    await runOn('wasm', () => convGrads(convCases[6]));
    await runOn('wasm', () => poolGrad(poolCases[0]));
    expect(tf.memory().numTensors).toBe(before);
  });
});
