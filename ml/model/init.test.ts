import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { withSeededMathRandom } from '../train/random.js';
import { applyInitialization } from './init.js';
import { buildModel } from './index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const build = (scheme: 'msra' | 'pytorch' | 'zero-gamma', seed = 3) =>
  withSeededMathRandom(seed, () => {
    const model = buildModel('lite-16', { inputShape: [16, 16, 3], numClasses: 4 });
    applyInitialization(model, scheme);
    return model;
  });

async function values(model: tf.LayersModel, layer: string, index = 0): Promise<Float32Array> {
  return (await model.getLayer(layer).getWeights()[index]!.data()) as Float32Array;
}

const variance = (v: Float32Array) => {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
};

describe('weight initialisation schemes', () => {
  it('msra gives conv weights of variance 2 / fan_in', async () => {
    const model = build('msra');
    const w = await values(model, 'stage2_unit1_conv2'); // 3x3x8x8: fan_in 72
    expect(variance(w)).toBeGreaterThan((2 / 72) * 0.8);
    expect(variance(w)).toBeLessThan((2 / 72) * 1.2);
    model.dispose();
  });

  it("pytorch gives conv and dense weights uniform in ±1/√fan_in, dense bias too", async () => {
    const model = build('pytorch');
    const w = await values(model, 'stage2_unit1_conv2');
    const bound = 1 / Math.sqrt(72);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(variance(w)).toBeGreaterThan((bound ** 2 / 3) * 0.8);
    expect(variance(w)).toBeLessThan((bound ** 2 / 3) * 1.2);
    const bias = await values(model, 'classifier', 1);
    expect(bias.some((b) => b !== 0)).toBe(true);
    expect(Math.max(...bias.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(64));
    model.dispose();
  });

  it('zero-gamma zeroes only the last batch norm of each residual branch, so units start as identities', async () => {
    const model = build('zero-gamma');
    const zeroed = model.layers.filter((l) => /_bn3$/.test(l.name)).map((l) => l.name);
    expect(zeroed.length).toBeGreaterThan(20);
    for (const name of zeroed) expect(Array.from(await values(model, name)).every((g) => g === 0), name).toBe(true);
    expect(Array.from(await values(model, 'stage1_unit1_bn1')).every((g) => g === 1)).toBe(true);
    // Every residual branch starts silent: its last conv sees only zeros, so each unit is an identity.
    const branch = tf.model({ inputs: model.inputs, outputs: model.getLayer('stage2_unit2_conv3').output as tf.SymbolicTensor });
    const x = tf.randomNormal([2, 16, 16, 3]);
    const y = branch.apply(x, { training: true }) as tf.Tensor;
    expect(tf.max(tf.abs(y)).dataSync()[0]).toBe(0);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('is reproducible from the seed, and differs between seeds', async () => {
    const [a, b, c] = [build('pytorch', 5), build('pytorch', 5), build('pytorch', 6)];
    const [va, vb, vc] = await Promise.all([a, b, c].map((m) => values(m, 'stem_conv')));
    expect(Array.from(va!)).toEqual(Array.from(vb!));
    expect(Array.from(va!)).not.toEqual(Array.from(vc!));
    for (const m of [a, b, c]) m.dispose();
  });
});
