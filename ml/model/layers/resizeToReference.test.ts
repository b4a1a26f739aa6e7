import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useCpuBackend } from '../testing.js';
import { ResizeToReference, resizeToReference } from './resizeToReference.js';

beforeAll(useCpuBackend);

/** A map whose value at (row, col) is row + 10·col: bilinear with aligned corners reproduces it exactly. */
function ramp(height: number, width: number): tf.Tensor4D {
  return tf.tidy(() => {
    const rows = tf.range(0, height).reshape([height, 1]);
    const cols = tf.range(0, width).reshape([1, width]).mul(10);
    return rows.add(cols).reshape([1, height, width, 1]) as tf.Tensor4D;
  });
}

describe('ResizeToReference', () => {
  it.each([
    [4, 4, 7, 7],
    [7, 7, 4, 4],
    [2, 3, 7, 5],
    [1, 1, 4, 4],
  ])('resizes %i×%i to the reference size %i×%i, corner to corner (Caffe Interp, align_corners=True)', (h, w, refH, refW) => {
    const before = tf.memory().numTensors;
    const source = ramp(h, w);
    const reference = tf.zeros([1, refH, refW, 3]);
    const out = new ResizeToReference().apply([source, reference]) as tf.Tensor;
    expect(out.shape).toEqual([1, refH, refW, 1]);
    // Output pixel (i, j) samples source position (i·(h−1)/(refH−1), j·(w−1)/(refW−1)).
    const scaleRow = refH > 1 ? (h - 1) / (refH - 1) : 0;
    const scaleCol = refW > 1 ? (w - 1) / (refW - 1) : 0;
    const values = out.arraySync() as number[][][][];
    for (let i = 0; i < refH; i++) {
      for (let j = 0; j < refW; j++) expect(values[0][i][j][0]).toBeCloseTo(i * scaleRow + 10 * j * scaleCol, 4);
    }
    tf.dispose([source, reference, out]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('takes its output shape from the reference in a functional model (4×4 up to 7×7)', () => {
    const low = tf.input({ shape: [4, 4, 8] });
    const high = tf.input({ shape: [7, 7, 2] });
    expect(resizeToReference(low, high, 'up').shape).toEqual([null, 7, 7, 8]);
  });

  it('passes gradient to the resized tensor only', () => {
    const reference = tf.zeros([1, 7, 7, 1]);
    const grad = tf.grad((x: tf.Tensor) => (new ResizeToReference().apply([x, reference]) as tf.Tensor).sum())(tf.ones([1, 4, 4, 1]));
    // Every source pixel contributes to some output pixel, and the weights of each output sum to 1.
    expect(grad.min().arraySync()).toBeGreaterThan(0);
    expect(grad.sum().arraySync()).toBeCloseTo(49, 3);
  });

  it('survives a save/load round trip', async () => {
    const low = tf.input({ shape: [4, 4, 1] });
    const high = tf.input({ shape: [7, 7, 1] });
    const model = tf.model({ inputs: [low, high], outputs: resizeToReference(low, high, 'up') });
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    expect(loaded.getLayer('up').getClassName()).toBe('ResizeToReference');
    const inputs = [ramp(4, 4), tf.zeros([1, 7, 7, 1])];
    expect((loaded.predict(inputs) as tf.Tensor).arraySync()).toEqual((model.predict(inputs) as tf.Tensor).arraySync());
  });

  it('refuses a single input', () => {
    expect(() => new ResizeToReference().apply(tf.input({ shape: [4, 4, 1] }))).toThrow(/two inputs/);
  });
});
