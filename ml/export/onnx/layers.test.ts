/**
 * Every row of the exporter's table, run as exported in ONNX Runtime for Node against the studio's
 * own tfjs output for the same layer, on random inputs and random (non-trivial) weights.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchNormRelu as fusedBatchNormRelu } from '../../layers/batchNormRelu.js';
import { fuseBatchNormRelu } from '../../layers/fuseBatchNormRelu.js';
import { buildNetwork, MaskActivation, ResizeToReference, variantNames, variants } from '../../model/index.js';
import { narrowedSpec, useCpuBackend } from '../../model/testing.js';
import { modelToOnnx } from './exportOnnx.js';
import { onnxLayerExports } from './layers.js';
import { relativeDifference, runOnnx } from './testing.js';

beforeAll(useCpuBackend);

type Build = (x: tf.SymbolicTensor) => tf.SymbolicTensor;

interface Case {
  kind: string;
  what: string;
  input: [number, number, number];
  build: Build;
  /** Standard deviation of the random input (default 1.5). */
  scale?: number;
}

const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => layer.apply(x) as tf.SymbolicTensor;
const pool = (x: tf.SymbolicTensor) => apply(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }), x);
const relu = (x: tf.SymbolicTensor) => apply(tf.layers.reLU(), x);
const sigmoid = (x: tf.SymbolicTensor) => apply(tf.layers.activation({ activation: 'sigmoid' }), x);
const batchNorm = () => tf.layers.batchNormalization({ axis: -1, epsilon: 1e-5 });

const cases: Case[] = [
  { kind: 'Conv2D', what: '3x3, stride 1, same, no bias', input: [6, 6, 3], build: (x) => apply(tf.layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', useBias: false }), x) },
  { kind: 'Conv2D', what: '3x3, stride 2, valid, after explicit padding', input: [8, 8, 4], build: (x) => apply(tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'valid', useBias: false }), apply(tf.layers.zeroPadding2d({ padding: [[1, 1], [1, 1]] }), x)) },
  { kind: 'Conv2D', what: '1x1, stride 2, same, bias and relu', input: [7, 7, 6], build: (x) => apply(tf.layers.conv2d({ filters: 8, kernelSize: 1, strides: 2, padding: 'same', activation: 'relu', biasInitializer: 'randomNormal' }), x) },
  { kind: 'Conv2D', what: '7x7, stride 2, same on an even size (odd pixel at the bottom/right)', input: [10, 10, 3], build: (x) => apply(tf.layers.conv2d({ filters: 4, kernelSize: 7, strides: 2, padding: 'same', useBias: false }), x) },
  { kind: 'ZeroPadding2D', what: 'uneven padding', input: [4, 5, 2], build: (x) => apply(tf.layers.zeroPadding2d({ padding: [[1, 2], [0, 3]] }), x) },
  { kind: 'BatchNormalization', what: 'moving statistics', input: [5, 5, 6], build: (x) => apply(batchNorm(), x) },
  { kind: 'BatchNormRelu', what: 'the fused training layer', input: [5, 5, 6], build: (x) => apply(fusedBatchNormRelu({ axis: -1, epsilon: 1e-5 }), x) },
  { kind: 'ReLU', what: 'plain', input: [4, 4, 3], build: relu },
  { kind: 'ReLU', what: 'with a maximum', input: [4, 4, 3], build: (x) => apply(tf.layers.reLU({ maxValue: 0.5 }), x) },
  ...(['linear', 'relu', 'sigmoid', 'tanh'] as const).map((activation) => ({
    kind: 'Activation', what: activation, input: [4, 4, 3] as [number, number, number], build: (x: tf.SymbolicTensor) => apply(tf.layers.activation({ activation }), x),
  })),
  { kind: 'Add', what: 'two inputs', input: [4, 4, 3], build: (x) => apply(tf.layers.add(), [x, sigmoid(x)]) },
  { kind: 'Add', what: 'three inputs', input: [4, 4, 3], build: (x) => apply(tf.layers.add(), [x, sigmoid(x), relu(x)]) },
  { kind: 'Multiply', what: 'two inputs', input: [4, 4, 3], build: (x) => apply(tf.layers.multiply(), [x, sigmoid(x)]) },
  { kind: 'Multiply', what: 'three inputs', input: [4, 4, 3], build: (x) => apply(tf.layers.multiply(), [x, sigmoid(x), relu(x)]) },
  { kind: 'MaxPooling2D', what: '3x3/2 same on an odd size (7 → 4)', input: [7, 7, 3], build: pool },
  { kind: 'MaxPooling2D', what: '3x3/2 same on an even size (8 → 4)', input: [8, 8, 3], build: pool },
  { kind: 'MaxPooling2D', what: '2x2 valid', input: [5, 5, 2], build: (x) => apply(tf.layers.maxPooling2d({ poolSize: 2, padding: 'valid' }), x) },
  { kind: 'GlobalAveragePooling2D', what: 'to features', input: [5, 3, 4], build: (x) => apply(tf.layers.globalAveragePooling2d({}), x) },
  { kind: 'Dense', what: 'classifier with bias', input: [3, 3, 6], build: (x) => apply(tf.layers.dense({ units: 5, biasInitializer: 'randomNormal' }), apply(tf.layers.globalAveragePooling2d({}), x)) },
  { kind: 'Dense', what: 'with softmax', input: [3, 3, 6], build: (x) => apply(tf.layers.dense({ units: 4, activation: 'softmax' }), apply(tf.layers.globalAveragePooling2d({}), x)) },
  { kind: 'ResizeToReference', what: '4x4 up to 7x7', input: [7, 7, 3], build: (x) => apply(new ResizeToReference(), [pool(x), x]) },
  { kind: 'ResizeToReference', what: '7x7 down to 4x4', input: [7, 7, 3], build: (x) => apply(new ResizeToReference(), [x, pool(x)]) },
  { kind: 'ResizeToReference', what: '1x1 up to 4x4', input: [4, 4, 2], build: (x) => apply(new ResizeToReference(), [pool(pool(x)), x]) },
  { kind: 'ResizeToReference', what: '3x5 to 5x9 (not square)', input: [5, 9, 2], build: (x) => apply(new ResizeToReference(), [pool(x), x]) },
  { kind: 'MaskActivation', what: 'channel (f2)', input: [4, 5, 6], build: (x) => apply(new MaskActivation({ kind: 'channel' }), x) },
  { kind: 'MaskActivation', what: 'spatial (f3)', input: [4, 5, 6], build: (x) => apply(new MaskActivation({ kind: 'spatial' }), x) },
  { kind: 'MaskActivation', what: 'channel (f2) where the norm is near ε', input: [4, 5, 6], scale: 1e-4, build: (x) => apply(new MaskActivation({ kind: 'channel' }), x) },
  { kind: 'MaskActivation', what: 'spatial (f3) where the variance is near ε', input: [4, 5, 6], scale: 1e-4, build: (x) => apply(new MaskActivation({ kind: 'spatial' }), x) },
];

/** Random weights everywhere, BN variances positive, so no op is tested on a trivial identity. */
function randomiseWeights(model: tf.LayersModel, seed: number): void {
  for (const layer of model.layers) {
    layer.setWeights(
      layer.getWeights().map((w, i) => {
        const name = layer.weights[i]!.originalName;
        return /variance$/.test(name) ? tf.randomUniform(w.shape, 0.5, 2, 'float32', seed + i) : tf.randomNormal(w.shape, 0, 0.7, 'float32', seed + i);
      }),
    );
  }
}

describe('the ONNX table', () => {
  it('has a row for every layer kind of every variant, mask activation and fusion, fused or not', () => {
    const kinds = new Set<string>();
    for (const variant of variantNames) {
      for (const maskActivation of ['mixed', 'channel', 'spatial'] as const) {
        // Narrowed (same layers and wiring): the ImageNet rows at full width take seconds to build.
        const options = { inputShape: [8, 8, 3] as [number, number, number], numClasses: 3, maskActivation, fusion: maskActivation === 'mixed' ? 'arl' as const : 'nal' as const };
        const model = buildNetwork(narrowedSpec(variants[variant].spec, 32), options);
        const fused = fuseBatchNormRelu(model);
        for (const m of [model, fused]) for (const layer of m.layers.slice(1)) kinds.add(layer.getClassName());
        fused.dispose();
        model.dispose();
      }
    }
    expect([...kinds].filter((kind) => !(kind in onnxLayerExports))).toEqual([]);
  });

  it('has a test case for every row', () => {
    expect([...new Set(cases.map((c) => c.kind))].sort()).toEqual(Object.keys(onnxLayerExports).sort());
  });

  it('names the layer it cannot export', async () => {
    const input = tf.input({ shape: [4, 4, 2] });
    const model = tf.model({ inputs: input, outputs: apply(tf.layers.upSampling2d({ name: 'nearest_up' }), input) });
    await expect(modelToOnnx(model)).rejects.toThrow(/nearest_up is a UpSampling2D/);
    model.dispose();
  });
});

describe.each(cases)('$kind ($what)', ({ input, build, scale }) => {
  let model: tf.LayersModel;
  afterAll(() => model?.dispose());

  it('gives in ONNX Runtime what tfjs gives', async () => {
    const x = tf.input({ shape: input });
    model = tf.model({ inputs: x, outputs: build(x) });
    randomiseWeights(model, 11);
    const images = tf.randomNormal([2, ...input], 0, scale ?? 1.5, 'float32', 5) as tf.Tensor4D;
    const expected = model.predict(images) as tf.Tensor;
    const actual = await runOnnx(await modelToOnnx(model), images);
    expect(actual.shape).toEqual(expected.shape);
    expect(relativeDifference(expected, actual)).toBeLessThan(1e-5);
    tf.dispose([images, expected, actual]);
  });
});
