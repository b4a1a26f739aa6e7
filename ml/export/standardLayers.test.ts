/**
 * The tfjs export's rewrite to stock layers: the same numbers as the studio's network, no project
 * layer left, names kept. (That stock tfjs alone loads the result is checked where the project's
 * layers are not registered: electron/node/modelExport/check.test.ts.)
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fuseBatchNormRelu } from '../layers/fuseBatchNormRelu.js';
import { buildNetwork, MaskActivation, maskLayerNames, variants, type MaskActivationKind, type FusionKind, type VariantName } from '../model/index.js';
import { narrowedSpec, useCpuBackend } from '../model/testing.js';
import { projectLayerClassNames } from './projectLayers.js';
import { alignCornersKernel, toStandardLayers } from './standardLayers.js';

beforeAll(useCpuBackend);

function relativeDifference(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]! / Math.max(1, tf.max(tf.abs(a)).dataSync()[0]!));
}

/** Moving statistics and γ/β away from their initial 0/1, so batch norm is not an identity. */
function randomiseBatchNorms(model: tf.LayersModel): void {
  for (const layer of model.layers) {
    if (!/BatchNorm/.test(layer.getClassName())) continue;
    const values = layer.getWeights().map((w, i) => (i === 3 ? tf.randomUniform(w.shape, 0.5, 3, 'float32', i) : tf.randomNormal(w.shape, i === 0 ? 1 : 0, 0.3, 'float32', i + 7)));
    layer.setWeights(values);
    tf.dispose(values);
  }
}

describe('alignCornersKernel', () => {
  it.each([
    [4, 7],
    [7, 4],
    [1, 4],
    [4, 1],
    [2, 2],
    [8, 16],
  ])('%i → %i samples is tfjs resizeBilinear with aligned corners', (from, to) => {
    const x = tf.randomNormal([1, from, 3, 2], 0, 1, 'float32', from * to);
    const expected = tf.image.resizeBilinear(x as tf.Tensor4D, [to, 3], true);
    const kernel = alignCornersKernel(from, to);
    // Apply along the height axis: [1, h, 3, 2] → [1, 3, 2, h] · [h, H] → [1, H, 3, 2].
    const actual = tf.transpose(tf.matMul(tf.transpose(x, [0, 2, 3, 1]).reshape([-1, from]), kernel).reshape([1, 3, 2, to]), [0, 3, 1, 2]);
    expect(relativeDifference(expected, actual)).toBeLessThan(1e-6);
    // Each output is a convex combination of at most two neighbouring inputs.
    const columns = kernel.transpose().arraySync() as number[][];
    for (const column of columns) {
      const nonzero = column.flatMap((w, i) => (w !== 0 ? [i] : []));
      expect(nonzero.length).toBeLessThanOrEqual(2);
      if (nonzero.length === 2) expect(nonzero[1]! - nonzero[0]!).toBe(1);
      expect(column.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    }
    tf.dispose([x, expected, kernel, actual]);
  });
});

interface Row {
  variant: VariantName;
  size: number;
  maskActivation: MaskActivationKind;
  fusion: FusionKind;
}

// Every mask depth (3/2/1 and the local d = 0 mask), every mask activation, both fusions, both stems.
const rows: Row[] = [
  { variant: 'lite-16', size: 16, maskActivation: 'mixed', fusion: 'arl' },
  { variant: 'lite-16', size: 14, maskActivation: 'spatial', fusion: 'nal' },
  { variant: 'lite-32-fast', size: 12, maskActivation: 'channel', fusion: 'arl' },
  { variant: 'attention56', size: 32, maskActivation: 'mixed', fusion: 'arl' },
];

describe.each(rows)('$variant at $size ($maskActivation, $fusion), trained with fused BatchNorm+ReLU', ({ variant, size, maskActivation, fusion }) => {
  it('gives the same logits with stock layers only, mask layers keeping their names', () => {
    const before = tf.memory().numTensors;
    const model = buildNetwork(narrowedSpec(variants[variant].spec, 64), { inputShape: [size, size, 3], numClasses: 5, maskActivation, fusion });
    randomiseBatchNorms(model);
    const fused = fuseBatchNormRelu(model);
    const standard = toStandardLayers(fused);

    const classes = new Set(standard.layers.map((layer) => layer.getClassName()));
    for (const name of projectLayerClassNames) expect(classes).not.toContain(name);
    expect(JSON.stringify(standard.toJSON(null, false))).not.toMatch(/ResizeToReference|MaskActivation|BatchNormRelu/);
    for (const name of maskLayerNames(model)) expect(standard.getLayer(name)).toBeDefined();

    const images = tf.randomUniform([3, size, size, 3], -1, 1, 'float32', 9);
    const expected = model.predict(images) as tf.Tensor;
    const actual = standard.predict(images) as tf.Tensor;
    expect(relativeDifference(expected, actual)).toBeLessThan(1e-5);
    const same = tf.tidy(() => tf.equal(tf.argMax(expected, -1), tf.argMax(actual, -1)).all().dataSync()[0]);
    expect(same).toBe(1);

    tf.dispose([images, expected, actual]);
    for (const m of [standard, fused, model]) m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe.each(['channel', 'spatial'] as const)('the %s mask activation', (kind) => {
  it.each([1, 1e-3, 1e-4])('matches the studio layer on inputs of scale %s, where ε matters', (scale) => {
    const input = tf.input({ shape: [3, 4, 6] });
    const model = tf.model({ inputs: input, outputs: new MaskActivation({ kind, name: 'mask' }).apply(input) as tf.SymbolicTensor });
    const standard = toStandardLayers(model);
    const x = tf.mul(tf.randomNormal([2, 3, 4, 6], 0, 1, 'float32', 4), scale);
    const expected = model.predict(x) as tf.Tensor;
    expect(relativeDifference(expected, standard.predict(x) as tf.Tensor)).toBeLessThan(1e-5);
    expect(standard.getLayer('mask')).toBeDefined();
  });
});

it('leaves a model without project layers as it computes', () => {
  const input = tf.input({ shape: [4, 4, 2] });
  const model = tf.model({ inputs: input, outputs: tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same' }).apply(input) as tf.SymbolicTensor });
  const standard = toStandardLayers(model);
  const x = tf.randomNormal([1, 4, 4, 2]);
  expect(relativeDifference(model.predict(x) as tf.Tensor, standard.predict(x) as tf.Tensor)).toBe(0);
});
