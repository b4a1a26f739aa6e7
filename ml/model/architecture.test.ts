/**
 * Whole networks against spec §3: parameter counts of every registry row and the resolution path of
 * every mask. Parameter counts do not depend on the input size, so they are taken from small builds.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel, countParams, type VariantName } from './index.js';
import { randomImages, useCpuBackend } from './testing.js';

beforeAll(useCpuBackend);

describe('parameter counts (spec §3, trainable: conv + FC + BN γ/β)', () => {
  it.each([
    // variant, channels, classes, expected, tolerance (half a unit of the spec's last printed digit, or 0.1 %)
    ['attention56', 3, 1000, 31_811_000, 0.001],
    ['attention92', 3, 1000, 52_466_000, 0.001],
    ['attention56-cifar', 3, 10, 1_030_000, 0.005],
    ['attention92-cifar', 3, 10, 1_840_000, 0.003],
    ['lite-32', 3, 10, 263_000, 0.002],
    ['lite-32', 1, 10, 262_000, 0.002],
    ['lite-16', 3, 10, 68_000, 0.008],
    ['lite-32-fast', 3, 10, 245_000, 0.002],
  ] as [VariantName, number, number, number, number][])('%s (%i channels, %i classes) ≈ %i', (variant, channels, numClasses, expected, tolerance) => {
    const model = buildModel(variant, { inputShape: [8, 8, channels], numClasses });
    const count = countParams(model);
    model.dispose();
    expect(Math.abs(count - expected) / expected).toBeLessThanOrEqual(tolerance);
  });

  it('excludes the BN moving statistics, which are state', () => {
    const model = buildModel('lite-16', { inputShape: [8, 8, 3], numClasses: 10 });
    const movingStats = model.nonTrainableWeights.reduce((sum, w) => sum + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);
    expect(countParams(model) + movingStats).toBe(model.countParams());
    model.dispose();
  });
});

/** Output height of each named layer (symbolic shapes; the runtime check below runs them). */
function heights(model: tf.LayersModel, names: string[]): number[] {
  return names.map((name) => model.getLayer(name).outputShape[1] as number);
}

describe('mask resolution paths', () => {
  it('ImageNet Attention-56 at 224: stem 112→56, masks 56→28→14→7, 28→14→7, 14→7, final 7×7×2048', () => {
    const model = buildModel('attention56', { inputShape: [224, 224, 3], numClasses: 1000 });
    expect(heights(model, ['stem_conv', 'stem_pool'])).toEqual([112, 56]);
    expect(heights(model, ['stage1_attn1_mask_down1_pool', 'stage1_attn1_mask_down2_pool', 'stage1_attn1_mask_down3_pool'])).toEqual([28, 14, 7]);
    expect(heights(model, ['stage1_attn1_mask_up2_resize', 'stage1_attn1_mask_up1_resize', 'stage1_attn1_mask'])).toEqual([14, 28, 56]);
    expect(heights(model, ['stage2_attn1_mask_down1_pool', 'stage2_attn1_mask_down2_pool', 'stage2_attn1_mask'])).toEqual([14, 7, 28]);
    expect(heights(model, ['stage3_attn1_mask_down1_pool', 'stage3_attn1_mask'])).toEqual([7, 14]);
    expect(model.getLayer('stage4_unit3_add').outputShape).toEqual([null, 7, 7, 2048]);
    model.dispose();
  });

  describe.each([
    // spec §3.3: 28→14→7→4 then 14→7→4 then 7→4 at 28×28×1; 32→16→8→4, 16→8→4, 8→4 at 32×32×3.
    [[28, 28, 1], [[14, 7, 4], [7, 4], [4]], [28, 14, 7]],
    [[32, 32, 3], [[16, 8, 4], [8, 4], [4]], [32, 16, 8]],
  ] as [[number, number, number], number[][], number[]][])('lite-32 at %j', (inputShape, pools, stageSizes) => {
    let model: tf.LayersModel;
    beforeAll(() => {
      model = buildModel('lite-32', { inputShape, numClasses: 10 });
    });
    afterAll(() => model.dispose());

    const poolNames = pools.flatMap((levels, s) => levels.map((_, l) => `stage${s + 1}_attn1_mask_down${l + 1}_pool`));
    const upNames = pools.flatMap((levels, s) => levels.map((_, l) => `stage${s + 1}_attn1_mask_up${l}_resize`));

    it('pools down to input/8 and resizes back to each encoder level, symbolically', () => {
      expect(heights(model, poolNames)).toEqual(pools.flat());
      // up<l> restores level l's size: level 0 is the stage's resolution.
      const upExpected = pools.flatMap((levels, s) => levels.map((_, l) => (l === 0 ? stageSizes[s] : levels[l - 1])));
      expect(heights(model, upNames)).toEqual(upExpected);
    });

    it('produces the same sizes when run', () => {
      const probe = tf.model({ inputs: model.inputs, outputs: [...poolNames, ...upNames].map((n) => model.getLayer(n).output as tf.SymbolicTensor) });
      const image = randomImages([1, ...inputShape]);
      const outputs = probe.predict(image) as tf.Tensor[];
      expect(outputs.map((t) => t.shape[1])).toEqual(heights(model, [...poolNames, ...upNames]));
      tf.dispose([image, ...outputs]);
    });
  });

  it('lite-32-fast at 28×28: stride-2 stem to 14, masks 14→7→4, 7→4, and a local mask at 4', () => {
    const model = buildModel('lite-32-fast', { inputShape: [28, 28, 1], numClasses: 10 });
    expect(heights(model, ['stem_conv', 'stage1_attn1_mask_down1_pool', 'stage1_attn1_mask_down2_pool', 'stage2_attn1_mask_down1_pool'])).toEqual([14, 7, 4, 4]);
    expect(heights(model, ['stage3_attn1_mask_local_unit2_add', 'stage3_attn1_mask'])).toEqual([4, 4]);
    model.dispose();
  });
});
