import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useCpuBackend } from '../testing.js';
import { MaskActivation, maskActivation } from './maskActivation.js';

beforeAll(useCpuBackend);

const x = (): tf.Tensor4D => tf.randomNormal([2, 5, 6, 4], 0.3, 2, 'float32', 3) as tf.Tensor4D;

describe('mask activations (paper §3.2, spec §2.4)', () => {
  it('channel (f2) divides each position\'s channel vector by its L2 norm', () => {
    const input = x();
    const out = new MaskActivation({ kind: 'channel' }).apply(input) as tf.Tensor;
    const norms = tf.norm(out, 'euclidean', -1);
    expect(Math.abs(norms.sub(1).abs().max().arraySync() as number)).toBeLessThan(1e-5);
    // Same direction as the input: the ratio to the input is one positive number per position.
    const ratio = tf.div(out, input);
    expect(tf.sub(ratio.max(-1), ratio.min(-1)).max().arraySync()).toBeLessThan(1e-4);
    expect(ratio.min().arraySync()).toBeGreaterThan(0);
  });

  it('spatial (f3) standardises each channel over H×W before the sigmoid', () => {
    const out = new MaskActivation({ kind: 'spatial' }).apply(x()) as tf.Tensor;
    const logits = tf.log(tf.div(out, tf.sub(1, out)));
    const { mean, variance } = tf.moments(logits, [1, 2]);
    expect(mean.abs().max().arraySync()).toBeLessThan(1e-3);
    expect(variance.sub(1).abs().max().arraySync()).toBeLessThan(1e-3);
  });

  it('mixed (f1) is a plain sigmoid layer', () => {
    const input = tf.input({ shape: [3, 3, 2] });
    const output = maskActivation(input, 'mixed', 'm');
    const model = tf.model({ inputs: input, outputs: output });
    expect(model.getLayer('m').getClassName()).toBe('Activation');
    const values = x().slice([0, 0, 0, 0], [2, 3, 3, 2]);
    expect((model.predict(values) as tf.Tensor).arraySync()).toEqual(tf.sigmoid(values).arraySync());
  });

  it('stays finite on a 1×1 map and an all-zero vector', () => {
    for (const kind of ['channel', 'spatial'] as const) {
      const out = new MaskActivation({ kind }).apply(tf.zeros([1, 1, 1, 4])) as tf.Tensor;
      expect(Array.from(out.dataSync()).every(Number.isFinite)).toBe(true);
    }
  });

  it('keeps its kind through a save/load round trip', async () => {
    const input = tf.input({ shape: [3, 3, 2] });
    const model = tf.model({ inputs: input, outputs: maskActivation(input, 'spatial', 'm') });
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    expect((loaded.getLayer('m') as MaskActivation).kind).toBe('spatial');
  });

  it('refuses an unknown kind', () => {
    expect(() => new MaskActivation({ kind: 'softmax' as 'channel' })).toThrow(/'channel' or 'spatial'/);
  });
});
