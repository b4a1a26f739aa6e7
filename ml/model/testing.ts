/**
 * Helpers for the model tests: each returns plain numbers and disposes every tensor it makes, so
 * tests can assert `tf.memory().numTensors` around them.
 */
import * as tf from '@tensorflow/tfjs';
import type { NetworkSpec } from './network.js';

/** The pure-JS backend: slow, but present everywhere and exact enough to compare runs. */
export async function useCpuBackend(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}

/** A deterministic pseudo-random batch of images in [−1, 1]. */
export function randomImages(shape: [number, number, number, number], seed = 7): tf.Tensor4D {
  return tf.randomUniform(shape, -1, 1, 'float32', seed) as tf.Tensor4D;
}

/** Labels 0, 1, 2, … (mod numClasses) as one-hot rows. */
export function oneHotLabels(batch: number, numClasses: number): tf.Tensor2D {
  return tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % numClasses), 'int32'), numClasses) as tf.Tensor2D);
}

/**
 * The largest |gradient| of the softmax cross-entropy with respect to each trainable weight, keyed by
 * the weight's name (`<layer>/<kernel|gamma|…>`). `training` picks batch statistics (true) or the
 * moving ones (false). Note that in training mode a BN that normalises only two values per channel
 * (batch 2 at 1×1) outputs ±1 whatever its input, so it passes almost no gradient back.
 */
export function maxAbsGradients(model: tf.LayersModel, images: tf.Tensor4D, labels: tf.Tensor2D, training: boolean): Map<string, number> {
  const weights = model.trainableWeights;
  const variables = weights.map((weight) => weight.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(
    () => tf.losses.softmaxCrossEntropy(labels, model.apply(images, { training }) as tf.Tensor) as tf.Scalar,
    variables,
  );
  const result = new Map<string, number>();
  weights.forEach((weight, i) => {
    const grad = grads[variables[i].name];
    result.set(weight.originalName, grad == null ? 0 : tf.tidy(() => tf.max(tf.abs(grad)).dataSync()[0]));
  });
  value.dispose();
  tf.dispose(grads);
  return result;
}

/** `model.predict` as a plain array (inference mode). */
export function predictArray(model: tf.LayersModel, images: tf.Tensor4D): Float32Array {
  return tf.tidy(() => (model.predict(images) as tf.Tensor).dataSync() as Float32Array);
}

/** Saves to memory and loads back through the stock tfjs in-memory IO handlers. */
export async function roundTripThroughMemory(model: tf.LayersModel): Promise<tf.LayersModel> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return tf.loadLayersModel(tf.io.fromMemory(saved!));
}

/**
 * The same topology with every width divided so the widest stage has at most `maxWidth` channels:
 * the `cpu` backend's filter gradient costs ~0.3 µs per weight per pixel, too slow for 30 M weights
 * at a size where every batch norm still sees several values per channel.
 */
export function narrowedSpec(spec: NetworkSpec, maxWidth: number): NetworkSpec {
  const widest = Math.max(...spec.stages.map((stage) => stage.width));
  const divisor = Math.max(1, Math.ceil(widest / maxWidth));
  const narrow = (width: number): number => {
    const scaled = width / divisor;
    if (!Number.isInteger(scaled) || scaled % 4 !== 0) throw new Error(`cannot narrow width ${width} by ${divisor}`);
    return scaled;
  };
  return {
    ...spec,
    stem: { ...spec.stem, filters: Math.max(1, Math.round(spec.stem.filters / divisor)) },
    stages: spec.stages.map((stage) => ({ ...stage, width: narrow(stage.width) })),
  };
}
