import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/backends.js';
import { SgdUpdate } from './kernels/SgdUpdate.js';
import { relativeError, threeSgdSteps } from './testing.js';

describe('fused SGD update (wasm)', () => {
  beforeAll(async () => {
    await initBackend('wasm', { threads: 1 });
  });

  it('is registered on wasm only, so other backends keep the composed ops', () => {
    expect(tf.getKernel(SgdUpdate, 'wasm')).toBeDefined();
    expect(tf.getKernel(SgdUpdate, 'cpu')).toBeUndefined();
  });

  it.each([[true], [false]])('matches the composed update on cpu over three steps (Nesterov %s), leaving no tensors behind', async (nesterov) => {
    const reference = await threeSgdSteps('cpu', nesterov);
    const fused = await threeSgdSteps('wasm', nesterov);
    fused.weights.forEach((w, i) => expect(relativeError(w, reference.weights[i]!)).toBeLessThan(1e-6));
    expect(fused.leaked).toBe(0);
    expect(reference.leaked).toBe(0);
  });
});
