/**
 * How fast the active backend trains and infers one model on this machine: a few real training steps
 * (forward, backward, SGD update) and inference batches of the run's own network, image size and batch,
 * on random images. The studio measures each candidate backend this way (in its own worker, one at a
 * time) and trains on the fastest; the doctor shows the figures.
 *
 * The first step is a warm-up (shader compilation on a GPU, XNNPACK operator packing on wasm) and is not
 * counted. Every read is asynchronous, as the WebGPU backend needs under Node.
 */
import * as tf from '@tensorflow/tfjs';
import { fuseBatchNormRelu } from '../layers/fuseBatchNormRelu.js';
import { buildModel, type VariantName } from '../model/index.js';
import { trainableParams } from '../train/optimizer.js';
import { SgdOptimizer } from '../train/sgd.js';
import { trainStep } from '../train/trainStep.js';
import { hasFusedBatchNormRelu } from '../wasm/batchNormRelu.js';
import { readAll } from './read.js';
import { throwIfDeviceError } from './webgpu.js';

export interface SpeedProbe {
  model: VariantName;
  imageSize: number;
  channels: 1 | 3;
  batchSize: number;
  numClasses?: number;
  /** Stop timing after this many seconds of timed steps (at least one step is timed). Default 5. */
  seconds?: number;
  /** At most this many timed steps. Default 10. */
  maxSteps?: number;
}

export interface SpeedMeasurement {
  trainImagesPerSecond: number;
  inferImagesPerSecond: number;
  /** Timed training steps (after the warm-up). */
  trainSteps: number;
  /** Wall time of the whole measurement, warm-up included. */
  seconds: number;
}

async function timeUntil(budgetSeconds: number, maxSteps: number, step: () => Promise<void>): Promise<{ steps: number; seconds: number }> {
  let steps = 0;
  let seconds = 0;
  while (steps < maxSteps && (steps === 0 || seconds < budgetSeconds)) {
    const start = performance.now();
    await step();
    seconds += (performance.now() - start) / 1000;
    steps++;
  }
  return { steps, seconds };
}

/** Measures the active backend; leaves no tensors behind. */
export async function measureTrainingSpeed(probe: SpeedProbe): Promise<SpeedMeasurement> {
  const started = performance.now();
  const numClasses = probe.numClasses ?? 10;
  const built = buildModel(probe.model, { inputShape: [probe.imageSize, probe.imageSize, probe.channels], numClasses });
  const model = hasFusedBatchNormRelu() ? fuseBatchNormRelu(built) : built;
  if (model !== built) built.dispose();
  const params = trainableParams(model);
  const optimizer = new SgdOptimizer({ momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
  const shape: [number, number, number, number] = [probe.batchSize, probe.imageSize, probe.imageSize, probe.channels];
  const images = tf.randomUniform(shape, -1, 1) as tf.Tensor4D;
  const labels = tf.tensor1d(Array.from({ length: probe.batchSize }, (_, i) => i % numClasses), 'int32');
  try {
    let step = 0;
    const train = async () => {
      await trainStep(model, params, optimizer, images, labels, 0.01, step++);
    };
    const infer = async () => {
      await readAll([tf.tidy(() => model.predict(images, { batchSize: probe.batchSize }) as tf.Tensor)]);
      throwIfDeviceError('inference');
    };
    await train();
    const budget = probe.seconds ?? 5;
    const maxSteps = probe.maxSteps ?? 10;
    const trained = await timeUntil(budget, maxSteps, train);
    await infer();
    const inferred = await timeUntil(budget / 2, maxSteps, infer);
    return {
      trainImagesPerSecond: (trained.steps * probe.batchSize) / trained.seconds,
      inferImagesPerSecond: (inferred.steps * probe.batchSize) / inferred.seconds,
      trainSteps: trained.steps,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    tf.dispose([images, labels]);
    optimizer.dispose();
    model.dispose();
  }
}
