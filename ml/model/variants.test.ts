/**
 * One suite over every registry row (STYLE.md, "The model file"): it builds, gives logits of the right
 * shape without NaN, every trainable weight gets a gradient, and a save/load round trip predicts the
 * same. Inputs are tiny because the `cpu` backend is pure JavaScript.
 *
 * The gradient check needs care. In inference mode at init the unnormalised residual stream grows
 * through every unit (logits ~1e4 for attention92-cifar) and saturates the mask sigmoids, so it runs
 * in training mode; there a BN seeing two values per channel outputs ±1 whatever its input and passes
 * no gradient, so every BN must see ≥ 8 values (batch 2 at ≥ 2×2). At the sizes that needs, the
 * `cpu` filter gradient is too slow for the wide rows, so they are checked at reduced width with the
 * identical topology (same layers, same wiring, same names).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel, buildNetwork, maskLayerNames, variantNames, variants, type VariantName } from './index.js';
import { maxAbsGradients, narrowedSpec, oneHotLabels, predictArray, randomImages, roundTripThroughMemory, useCpuBackend } from './testing.js';

interface Row {
  variant: VariantName;
  /** Full-width model: build, logits, masks, round trip. */
  inputShape: [number, number, number];
  numClasses: number;
  batch: number;
  /** Gradient check: every BN sees ≥ 2×2 per image at this size (ImageNet layout: input/32 ≥ 2). */
  gradientInputSize: number;
}

const rows: Row[] = [
  { variant: 'attention56', inputShape: [8, 8, 3], numClasses: 7, batch: 1, gradientInputSize: 64 },
  { variant: 'attention92', inputShape: [8, 8, 1], numClasses: 3, batch: 1, gradientInputSize: 64 },
  { variant: 'attention56-cifar', inputShape: [8, 8, 3], numClasses: 10, batch: 2, gradientInputSize: 16 },
  { variant: 'attention92-cifar', inputShape: [8, 8, 1], numClasses: 4, batch: 2, gradientInputSize: 16 },
  { variant: 'lite-32', inputShape: [12, 12, 1], numClasses: 10, batch: 2, gradientInputSize: 16 },
  { variant: 'lite-16', inputShape: [8, 8, 3], numClasses: 2, batch: 2, gradientInputSize: 16 },
  { variant: 'lite-32-fast', inputShape: [10, 10, 3], numClasses: 5, batch: 2, gradientInputSize: 16 },
];
/** Widest stage of the model the gradient check runs on (lite rows run at full width). */
const GRADIENT_MAX_WIDTH = 128;
/** Far above float32 noise, far below any real gradient at these sizes. */
const MIN_GRADIENT = 1e-7;

beforeAll(useCpuBackend);

it('the table covers every registry row', () => {
  expect(rows.map((row) => row.variant).sort()).toEqual([...variantNames].sort());
});

describe.each(rows)('$variant at $inputShape', ({ variant, inputShape, numClasses, batch, gradientInputSize }) => {
  let model: tf.LayersModel;
  let images: tf.Tensor4D;
  let labels: tf.Tensor2D;

  beforeAll(() => {
    model = buildModel(variant, { inputShape, numClasses });
    images = randomImages([batch, ...inputShape]);
    labels = oneHotLabels(batch, numClasses);
  });
  afterAll(() => {
    model.dispose();
    tf.dispose([images, labels]);
  });

  it('has a documented registry row', () => {
    expect(variants[variant].doc.length).toBeGreaterThan(40);
  });

  it('outputs finite logits of shape [batch, numClasses] from a Dense layer named classifier', () => {
    expect(model.outputs[0].shape).toEqual([null, numClasses]);
    const classifier = model.getLayer('classifier');
    expect(classifier.getClassName()).toBe('Dense');
    expect((classifier.getConfig() as { activation: string }).activation).toBe('linear');
    const logits = predictArray(model, images);
    expect(logits.length).toBe(batch * numClasses);
    expect(logits.every(Number.isFinite)).toBe(true);
  });

  it('has one mask per attention module, named stage<s>_attn<k>_mask', () => {
    const expected = variants[variant].spec.stages.flatMap((stage, s) =>
      Array.from({ length: stage.modules }, (_, k) => `stage${s + 1}_attn${k + 1}_mask`),
    );
    expect(maskLayerNames(model)).toEqual(expected);
  });

  it('sends a nonzero gradient to every trainable weight (training mode)', () => {
    const spec = narrowedSpec(variants[variant].spec, GRADIENT_MAX_WIDTH);
    const shape: [number, number, number] = [gradientInputSize, gradientInputSize, inputShape[2]];
    const narrow = buildNetwork(spec, { inputShape: shape, numClasses });
    const [x, y] = [randomImages([2, ...shape]), oneHotLabels(2, numClasses)];
    try {
      expect(narrow.layers.map((layer) => layer.name)).toEqual(model.layers.map((layer) => layer.name));
      const before = tf.memory().numTensors;
      const gradients = maxAbsGradients(narrow, x, y, true);
      expect(tf.memory().numTensors).toBe(before);
      expect(gradients.size).toBe(narrow.trainableWeights.length);
      const silent = [...gradients].filter(([, g]) => !(g > MIN_GRADIENT && Number.isFinite(g))).map(([name]) => name);
      expect(silent).toEqual([]);
    } finally {
      narrow.dispose();
      tf.dispose([x, y]);
    }
  });

  it('predicts identically after a save/load round trip', async () => {
    const loaded = await roundTripThroughMemory(model);
    try {
      expect(loaded.layers.map((layer) => layer.name)).toEqual(model.layers.map((layer) => layer.name));
      expect(predictArray(loaded, images)).toEqual(predictArray(model, images));
    } finally {
      loaded.dispose();
    }
  });
});

describe('buildModel options', () => {
  it.each([
    ['nal', 'channel', 'MaskActivation'],
    ['arl', 'spatial', 'MaskActivation'],
  ] as const)('fusion %s with %s masks builds, trains and round-trips', async (fusion, maskActivation, maskClass) => {
    const model = buildModel('lite-16', { inputShape: [16, 16, 1], numClasses: 3, fusion, maskActivation });
    const [x, y] = [randomImages([2, 16, 16, 1]), oneHotLabels(2, 3)];
    expect(model.getLayer('stage1_attn1_mask').getClassName()).toBe(maskClass);
    expect(model.layers.some((layer) => layer.name === 'stage1_attn1_gate')).toBe(fusion === 'arl');
    const silent = [...maxAbsGradients(model, x, y, true)].filter(([, g]) => !(g > MIN_GRADIENT)).map(([name]) => name);
    expect(silent).toEqual([]);
    const loaded = await roundTripThroughMemory(model);
    expect(predictArray(loaded, x)).toEqual(predictArray(model, x));
    [model, loaded].forEach((m) => m.dispose());
    tf.dispose([x, y]);
  });

  it.each([
    [{ inputShape: [32, 32], numClasses: 10 }, /inputShape must be \[height, width, channels\]/],
    [{ inputShape: [32, 32, 0], numClasses: 10 }, /inputShape/],
    [{ inputShape: [32, 32, 3], numClasses: 0 }, /numClasses must be a whole number/],
  ])('refuses %j', (options, message) => {
    expect(() => buildModel('lite-16', options as Parameters<typeof buildModel>[1])).toThrow(message);
  });

  it('names the known variants when given an unknown one', () => {
    expect(() => buildModel('attention57' as VariantName, { inputShape: [8, 8, 3], numClasses: 2 })).toThrow(/choose one of: attention56, attention92/);
  });
});
