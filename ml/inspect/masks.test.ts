import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { perturbBatchNorms } from '../infer/testing.js';
import { buildModel } from '../model/index.js';
import { AttentionInspector } from './masks.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('attention masks for the overlay', () => {
  const shape = [16, 16, 3] as const;
  const images = Uint8Array.from({ length: 2 * 16 * 16 * 3 }, (_, i) => (i < 768 ? (i * 37) % 256 : (i * i * 13 + 7) % 256));
  const normalization = { mean: [128, 128, 128], std: [64, 64, 64] };

  it('gives one byte map per attention module at its resolution, and probabilities that sum to 1', async () => {
    const model = buildModel('lite-16', { inputShape: [...shape], numClasses: 4 });
    // Freshly initialised masks sit so close to 0.5 that two images can quantise to the same bytes;
    // batch-norm statistics as after training spread them.
    perturbBatchNorms(model);
    const inspector = new AttentionInspector(model);
    const before = tf.memory().numTensors;
    const result = await inspector.inspect(images, 2, shape, { normalization });
    expect(tf.memory().numTensors).toBe(before);
    expect(result).toHaveLength(2);
    expect(result[0]!.masks.map((m) => [m.module, m.height, m.width])).toEqual([
      ['stage1_attn1_mask', 16, 16],
      ['stage2_attn1_mask', 8, 8],
      ['stage3_attn1_mask', 4, 4],
    ]);
    const sum = result[0]!.probabilities.reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(1, 5);
    // Different images get different masks: the maps are computed, not a constant.
    expect(result[0]!.masks[0]!.data).not.toEqual(result[1]!.masks[0]!.data);
    model.dispose();
  });

  it('resizes every map to a requested image size', async () => {
    const model = buildModel('lite-16', { inputShape: [...shape], numClasses: 3 });
    const [first] = await new AttentionInspector(model).inspect(images, 1, shape, { normalization, outputSize: [20, 30] });
    for (const mask of first!.masks) {
      expect([mask.height, mask.width]).toEqual([20, 30]);
      expect(mask.data).toHaveLength(600);
    }
    model.dispose();
  });
});
