import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/backends.js';
import { buildModel, type VariantName } from '../model/index.js';
import { checkModelGradients } from '../engine/gradientCheck.js';

/**
 * The registry variants small enough for the pure-JavaScript `cpu` reference in CI (a few seconds each
 * at 16x16). The rest (attention56/92 ImageNet layouts, the CIFAR Attention-56/92) take 1-2 minutes
 * each on `cpu`: `npm run bench:gradcheck` checks every variant.
 */
const quickVariants: VariantName[] = ['lite-16', 'lite-32-fast', 'lite-32'];

describe('whole-network gradients on wasm agree with the cpu backend', () => {
  beforeAll(async () => {
    await initBackend('wasm', { threads: 1 });
  });

  it.each(quickVariants)('%s', async (variant) => {
    const before = tf.memory().numTensors;
    const result = await checkModelGradients(
      () => buildModel(variant, { inputShape: [16, 16, 3], numClasses: 10 }),
      { batch: 4, size: 16, channels: 3 },
    );
    // Agreement down to the network's own noise floor: what scaling the input by (1 + 1e-6) does to the
    // gradients on one backend (training-mode batch norm on 4 images amplifies rounding).
    expect(result.median).toBeLessThan(Math.max(1e-4, 4 * result.sensitivity.median));
    expect(result.p99).toBeLessThan(Math.max(0.05, 4 * result.sensitivity.p99));
    expect(tf.memory().numTensors).toBe(before);
  });
});
