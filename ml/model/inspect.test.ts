import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildInspectionModel, buildModel, maskLayerNames, type VariantName } from './index.js';
import { predictArray, randomImages, roundTripThroughMemory, useCpuBackend } from './testing.js';

beforeAll(useCpuBackend);

describe('maskLayerNames and buildInspectionModel', () => {
  let model: tf.LayersModel;
  beforeAll(() => {
    model = buildModel('attention92-cifar', { inputShape: [16, 16, 3], numClasses: 4 });
  });
  afterAll(() => model.dispose());

  it('lists every module\'s mask in network order', () => {
    expect(maskLayerNames(model)).toEqual([
      'stage1_attn1_mask', 'stage1_attn2_mask', 'stage2_attn1_mask', 'stage2_attn2_mask', 'stage3_attn1_mask', 'stage3_attn2_mask',
    ]);
  });

  it('outputs [logits, ...masks] with the model\'s own weights', () => {
    const inspection = buildInspectionModel(model);
    expect(inspection.outputs.map((o) => o.shape)).toEqual([
      [null, 4], [null, 16, 16, 64], [null, 16, 16, 64], [null, 8, 8, 128], [null, 8, 8, 128], [null, 4, 4, 256], [null, 4, 4, 256],
    ]);
    expect(inspection.weights.length).toBe(model.weights.length);
    const image = randomImages([2, 16, 16, 3]);
    const outputs = inspection.predict(image) as tf.Tensor[];
    expect(outputs[0].dataSync()).toEqual(predictArray(model, image));
    for (const mask of outputs.slice(1)) {
      expect(mask.min().arraySync()).toBeGreaterThanOrEqual(0);
      expect(mask.max().arraySync()).toBeLessThanOrEqual(1);
    }
    tf.dispose([image, ...outputs]);
  });

  it('finds the masks of a loaded model by name', async () => {
    const loaded = await roundTripThroughMemory(model);
    expect(maskLayerNames(loaded)).toEqual(maskLayerNames(model));
    expect(buildInspectionModel(loaded).outputs.length).toBe(7);
    loaded.dispose();
  });
});

describe('masks at initialisation (spec §2.3: M ≈ 0.5, measured 0.49–0.51)', () => {
  it.each([
    ['lite-32', [28, 28, 1]],
    ['attention56-cifar', [32, 32, 3]],
  ] as [VariantName, [number, number, number]][])('%s at %j: every mask averages ≈ 0.5 with batch statistics', (variant, inputShape) => {
    const model = buildModel(variant, { inputShape, numClasses: 10 });
    const inspection = buildInspectionModel(model);
    const image = randomImages([2, ...inputShape], 11);
    const before = tf.memory().numTensors;
    const means = tf.tidy(() => (inspection.apply(image, { training: true }) as tf.Tensor[]).slice(1).map((m) => m.mean().arraySync() as number));
    expect(tf.memory().numTensors).toBe(before);
    expect(means.length).toBe(3);
    // The weights are drawn unseeded, so a mask's mean wanders by a few hundredths (0.057 seen once for
    // lite-32 on two images); a saturated mask (a missing batch norm) sits far outside 0.4-0.6.
    for (const mean of means) expect(Math.abs(mean - 0.5)).toBeLessThan(0.1);
    image.dispose();
    model.dispose();
  });
});
