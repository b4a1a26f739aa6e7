import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/backends.js';
import { SgdOptimizer } from '../train/sgd.js';
import { SgdUpdate } from './kernels/SgdUpdate.js';
import { pseudoRandom, relativeError } from './testing.js';

/** Three SGD steps on two weights (one decayed) with fresh gradients each step, on `backend`. */
async function threeSteps(backend: 'cpu' | 'wasm', nesterov: boolean): Promise<{ weights: Float32Array[]; leaked: number }> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const initial = [tf.tensor(pseudoRandom(3 * 3 * 4 * 8, 1), [3, 3, 4, 8]), tf.tensor(pseudoRandom(8, 2), [8])];
  const kernel = tf.variable(initial[0]!, true, `k_${backend}_${nesterov}`);
  const bias = tf.variable(initial[1]!, true, `b_${backend}_${nesterov}`);
  tf.dispose(initial);
  const params = [{ name: 'kernel', variable: kernel, decay: true }, { name: 'bias', variable: bias, decay: false }];
  const optimizer = new SgdOptimizer({ momentum: 0.9, nesterov, weightDecay: 5e-4 });
  for (let step = 0; step < 3; step++) {
    const grads = [tf.tensor(pseudoRandom(kernel.size, 10 + step), kernel.shape), tf.tensor(pseudoRandom(8, 20 + step), [8])];
    optimizer.applyGradients(params, grads, 0.1 / (step + 1));
    tf.dispose(grads);
  }
  const weights = [kernel.dataSync().slice() as Float32Array, bias.dataSync().slice() as Float32Array];
  optimizer.dispose();
  tf.dispose([kernel, bias]);
  return { weights, leaked: tf.memory().numTensors - before };
}

describe('fused SGD update (wasm)', () => {
  beforeAll(async () => {
    await initBackend('wasm', { threads: 1 });
  });

  it('is registered on wasm only, so other backends keep the composed ops', () => {
    expect(tf.getKernel(SgdUpdate, 'wasm')).toBeDefined();
    expect(tf.getKernel(SgdUpdate, 'cpu')).toBeUndefined();
  });

  it.each([[true], [false]])('matches the composed update on cpu over three steps (Nesterov %s), leaving no tensors behind', async (nesterov) => {
    const reference = await threeSteps('cpu', nesterov);
    const fused = await threeSteps('wasm', nesterov);
    fused.weights.forEach((w, i) => expect(relativeError(w, reference.weights[i]!)).toBeLessThan(1e-6));
    expect(fused.leaked).toBe(0);
    expect(reference.leaked).toBe(0);
  });
});
