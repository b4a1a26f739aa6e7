/**
 * Test fixtures: a learnable toy problem small enough for the pure-JS `cpu` backend, and a tiny
 * conv + batch-norm + dense network with seeded initialisers (two builds have identical weights).
 */
import * as tf from '@tensorflow/tfjs';
import { InMemoryDataSource, type ImageShape } from '../dataSource.js';
import { Random } from '../random.js';

export const TOY_SHAPE: ImageShape = [8, 8, 1];
export const TOY_CLASSES = 3;

/**
 * 8x8 grey images: class 0 a horizontal bar, 1 a vertical bar, 2 a 2x2 square, each at a random place
 * on a noisy background. Orientation needs the convolution; position needs nothing (global pooling).
 */
export function toyShapes(count: number, seed = 1): InMemoryDataSource {
  const [h, w] = TOY_SHAPE;
  const random = new Random(seed);
  const images = new Uint8Array(count * h * w);
  const labels = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    const label = n % TOY_CLASSES;
    labels[n] = label;
    const image = images.subarray(n * h * w, (n + 1) * h * w);
    for (let i = 0; i < image.length; i++) image[i] = random.nextInt(60);
    const a = 1 + random.nextInt(h - 3);
    const b = 1 + random.nextInt(w - 3);
    for (let k = 0; k < 5 && label !== 2; k++) {
      const [y, x] = label === 0 ? [a, Math.min(w - 1, b + k - 1)] : [Math.min(h - 1, a + k - 1), b];
      image[y * w + x] = 200 + random.nextInt(55);
    }
    if (label === 2) for (const [y, x] of [[a, b], [a + 1, b], [a, b + 1], [a + 1, b + 1]]) image[y * w + x] = 220;
  }
  return new InMemoryDataSource({ images, labels, imageShape: TOY_SHAPE, numClasses: TOY_CLASSES });
}

export function tinyModel(inputShape: ImageShape = TOY_SHAPE, numClasses = TOY_CLASSES, filters = 6): tf.LayersModel {
  const input = tf.input({ shape: [...inputShape] });
  let x = tf.layers
    .conv2d({ filters, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: tf.initializers.heNormal({ seed: 11 }), name: 'conv' })
    .apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ momentum: 0.9, name: 'bn' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ name: 'relu' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as tf.SymbolicTensor;
  const logits = tf.layers
    .dense({ units: numClasses, kernelInitializer: tf.initializers.glorotUniform({ seed: 12 }), name: 'logits' })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits });
}

/** Every weight (trainable and BN statistics) as plain arrays, for exact comparisons. */
export function weightValues(model: tf.LayersModel): number[][] {
  return model.weights.map((w) => Array.from(w.read().dataSync()));
}

export async function useCpuBackend(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}
