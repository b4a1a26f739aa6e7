/**
 * The two blocks against the Caffe prototxts: parameter anchors of spec §2.1/§2.2 (exact), the wiring
 * details of spec §7.6–7.7, and the fusion H = (1 + M) ⊙ T.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { attentionModule, type FusionKind } from './attentionModule.js';
import { countParams } from './inspect.js';
import { conv } from './primitives.js';
import { residualUnit } from './residualUnit.js';
import { randomImages, useCpuBackend } from './testing.js';

beforeAll(useCpuBackend);

function unitModel(inChannels: number, filters: number, strides: 1 | 2, size = 4): tf.LayersModel {
  const input = tf.input({ shape: [size, size, inChannels] });
  return tf.model({ inputs: input, outputs: residualUnit(input, 'u', { filters, strides }) });
}

function moduleModel(filters: number, maskDepth: number, fusion: FusionKind = 'arl', size = 8): tf.LayersModel {
  const input = tf.input({ shape: [size, size, filters] });
  const output = attentionModule(input, 'm', { filters, maskDepth, preUnits: 1, trunkUnits: 2, maskUnits: 1, fusion, maskActivation: 'mixed' });
  return tf.model({ inputs: input, outputs: output });
}

function paramsOfLayers(model: tf.LayersModel, prefix: string): number {
  return model.layers
    .filter((layer) => layer.name.startsWith(prefix))
    .reduce((sum, layer) => sum + layer.trainableWeights.reduce((s, w) => s + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0), 0);
}

function inboundLayerNames(model: tf.LayersModel, name: string): string[] {
  return model.getLayer(name).inboundNodes[0].inboundLayers.map((layer) => layer.name);
}

describe('residual unit (spec §2.1)', () => {
  it.each([
    [256, 256, 1, 70_400],
    [512, 512, 1, 280_064],
    [1024, 1024, 1, 1_117_184],
    [2048, 2048, 1, 4_462_592],
    [64, 256, 1, 74_112],
    [256, 512, 2, 377_856],
    [512, 1024, 2, 1_509_376],
    [1024, 2048, 2, 6_033_408],
  ] as const)('%i→%i stride %i has exactly %i parameters', (cin, cout, strides, expected) => {
    const model = unitModel(cin, cout, strides);
    expect(countParams(model)).toBe(expected);
    model.dispose();
  });

  it('uses the identity shortcut when the shape is unchanged', () => {
    const model = unitModel(32, 32, 1);
    expect(model.layers.some((layer) => layer.name === 'u_shortcut')).toBe(false);
    expect(inboundLayerNames(model, 'u_add')).toEqual(['u_conv3', model.layers[0].name]);
    model.dispose();
  });

  it('projects from the pre-activated tensor, with the stride on the 3×3 conv', () => {
    const model = unitModel(16, 32, 2, 7);
    expect(inboundLayerNames(model, 'u_shortcut')).toEqual(['u_relu1']);
    expect(inboundLayerNames(model, 'u_conv1')).toEqual(['u_relu1']);
    const strides = (name: string) => (model.getLayer(name).getConfig() as { strides: number[] }).strides;
    expect([strides('u_conv1'), strides('u_conv2'), strides('u_conv3'), strides('u_shortcut')]).toEqual([[1, 1], [2, 2], [1, 1], [2, 2]]);
    expect(model.outputs[0].shape).toEqual([null, 4, 4, 32]);
    model.dispose();
  });

  it('ends at the add: no BN or ReLU after it, and no conv biases', () => {
    const model = unitModel(16, 32, 2);
    expect(model.outputs[0].sourceLayer.name).toBe('u_add');
    const convs = model.layers.filter((layer) => layer.getClassName() === 'Conv2D');
    expect(convs.length).toBe(4);
    expect(convs.every((layer) => (layer.getConfig() as { useBias: boolean }).useBias === false)).toBe(true);
    model.dispose();
  });

  it('refuses a width the bottleneck cannot divide by 4', () => {
    expect(() => unitModel(8, 10, 1)).toThrow(/multiple of 4/);
  });
});

describe('strided convolution padding', () => {
  it('pads like Caffe (1 on every side), not like tfjs "same" (bottom/right only)', () => {
    const input = tf.input({ shape: [4, 4, 1] });
    const model = tf.model({ inputs: input, outputs: conv(input, 'c', { filters: 1, kernelSize: 3, strides: 2 }) });
    model.getLayer('c').setWeights([tf.ones([3, 3, 1, 1])]);
    const image = tf.range(0, 16).reshape([1, 4, 4, 1]);
    // Caffe's first window covers rows/cols −1..1: 0 + 1 + 4 + 5. tfjs 'same' would cover 0..2 (sum 45).
    expect((model.predict(image) as tf.Tensor).reshape([4]).arraySync()).toEqual([10, 24, 51, 90]);
    model.dispose();
  });
});

describe('attention module (spec §2.2)', () => {
  it.each([
    // C, d, total, mask, mask head: spec §2.2 "Per-module parameters (ImageNet widths)".
    [256, 3, 976_896, 695_296, 132_096],
    [512, 2, 3_046_912, 1_926_656, 526_336],
    [1024, 1, 8_804_352, 4_335_616, 2_101_248],
  ])('C=%i, d=%i has %i parameters, %i in the mask, %i in its head', (filters, depth, total, mask, head) => {
    const model = moduleModel(filters, depth, 'arl', 4);
    expect(countParams(model)).toBe(total);
    expect(paramsOfLayers(model, 'm_mask')).toBe(mask);
    expect(paramsOfLayers(model, 'm_mask_head')).toBe(head);
    model.dispose();
  });

  it.each([
    [3, 8, 2],
    [2, 5, 1],
    [1, 2, 0],
    [0, 2, 0],
  ])('a mask of depth %i has %i residual units, %i of them skip connections', (depth, units, skips) => {
    const model = moduleModel(8, depth);
    const unitNames = model.layers.map((l) => l.name).filter((n) => /^m_mask_.*_conv1$/.test(n) && !n.includes('_head_'));
    expect(unitNames.length).toBe(units);
    expect(unitNames.filter((n) => n.includes('_skip')).length).toBe(skips);
    model.dispose();
  });

  it('adds only the skip unit to each upsampled map and feeds the head with the final resize', () => {
    const model = moduleModel(8, 3, 'arl', 28);
    expect(inboundLayerNames(model, 'm_mask_up2_add')).toEqual(['m_mask_up2_resize', 'm_mask_skip2_add']);
    expect(inboundLayerNames(model, 'm_mask_up1_add')).toEqual(['m_mask_up1_resize', 'm_mask_skip1_add']);
    expect(inboundLayerNames(model, 'm_mask_up0_resize')).toEqual(['m_mask_up1_unit1_add', 'm_pre1_add']);
    expect(inboundLayerNames(model, 'm_mask_head_bn1')).toEqual(['m_mask_up0_resize']);
    expect(inboundLayerNames(model, 'm_mask_down1_pool')).toEqual(['m_pre1_add']);
    const shape = (name: string) => model.getLayer(name).outputShape;
    expect([shape('m_mask_down1_pool'), shape('m_mask_down2_pool'), shape('m_mask_down3_pool')]).toEqual([
      [null, 14, 14, 8],
      [null, 7, 7, 8],
      [null, 4, 4, 8],
    ]);
    expect([shape('m_mask_up2_resize'), shape('m_mask_up1_resize'), shape('m_mask_up0_resize')]).toEqual([
      [null, 7, 7, 8],
      [null, 14, 14, 8],
      [null, 28, 28, 8],
    ]);
    model.dispose();
  });

  it('has a bias-free BN-ReLU-1×1-BN-ReLU-1×1-sigmoid head', () => {
    const model = moduleModel(8, 1);
    const chain = ['m_mask_head_bn1', 'm_mask_head_relu1', 'm_mask_head_conv1', 'm_mask_head_bn2', 'm_mask_head_relu2', 'm_mask_head_conv2', 'm_mask'];
    for (let i = 1; i < chain.length; i++) expect(inboundLayerNames(model, chain[i])).toEqual([chain[i - 1]]);
    expect((model.getLayer('m_mask').getConfig() as { activation: string }).activation).toBe('sigmoid');
    for (const name of ['m_mask_head_conv1', 'm_mask_head_conv2']) {
      expect((model.getLayer(name).getConfig() as { kernelSize: number[]; useBias: boolean })).toMatchObject({ kernelSize: [1, 1], useBias: false });
    }
    model.dispose();
  });

  it.each([
    ['arl', (m: number, t: number) => (1 + m) * t],
    ['nal', (m: number, t: number) => m * t],
  ] as const)('%s fuses mask and trunk as specified', (fusion, expected) => {
    const model = moduleModel(8, 2, fusion);
    const probe = tf.model({
      inputs: model.inputs,
      outputs: ['m_mask', 'm_trunk_unit2_add', 'm_fuse'].map((name) => model.getLayer(name).output as tf.SymbolicTensor),
    });
    const image = randomImages([2, 8, 8, 8]);
    const [mask, trunk, fused] = (probe.predict(image) as tf.Tensor[]).map((t) => t.dataSync());
    for (let i = 0; i < fused.length; i += 37) expect(fused[i]).toBeCloseTo(expected(mask[i], trunk[i]), 4);
    expect(inboundLayerNames(model, 'm_post1_bn1')).toEqual(['m_fuse']);
    model.dispose();
  });
});
