/**
 * A batch too large for the device stops the run with the batch size that fits, found by trying the
 * run's own model: here on the wasm backend under a memory limit small enough to hit in a test.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/backends.js';
import { fuseBatchNormRelu } from '../layers/fuseBatchNormRelu.js';
import { buildModel } from '../model/index.js';
import { BatchTooLargeError, fittingBatch } from './batchFit.js';
import { cifarSlice } from './test/cifar.js';
import { Trainer, type TrainingConfig } from './trainer.js';

const LIMIT = 40 * 2 ** 20;

const config = (batchSize: number): TrainingConfig => ({
  epochs: 1,
  batchSize,
  optimizer: { kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
  schedule: { kind: 'constant', baseLearningRate: 0.01 },
  augmentation: { padding: 0, horizontalFlip: false },
  seed: 1,
});

describe('a batch that does not fit', () => {
  beforeAll(async () => {
    await initBackend('wasm', { threads: 1, memoryLimitBytes: LIMIT });
  });
  afterAll(async () => {
    await initBackend('wasm', { threads: 1 });
  });

  it('stops the run with the largest batch that fits, and that batch trains', async () => {
    const train = await cifarSlice(['cat', 'ship'], 64, 16);
    const model = fuseBatchNormRelu(buildModel('lite-16', { inputShape: [16, 16, 3], numClasses: 2 }));
    const before = tf.memory().numTensors;
    const error = await new Trainer({ model, train, config: config(128) }).run().then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(BatchTooLargeError);
    const { fits, message } = error as BatchTooLargeError;
    expect(fits).toBeGreaterThan(0);
    expect(fits).toBeLessThan(128);
    expect(message).toContain(`the largest batch that fits is ${fits}`);
    expect(message).toContain("the WASM backend's memory");
    // The size it names does train, under the same limit.
    const trainer = new Trainer({ model, train, config: config(fits) });
    expect((await trainer.run()).status).toBe('completed');
    trainer.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  }, 180_000);

  it('is found before training: the batch asked for when it fits, else the largest smaller one, and that one trains', async () => {
    const model = fuseBatchNormRelu(buildModel('lite-16', { inputShape: [16, 16, 3], numClasses: 2 }));
    const before = tf.memory().numTensors;
    expect(await fittingBatch(model, 4)).toBe(4);
    const fits = await fittingBatch(model, 128);
    expect(fits).toBeGreaterThan(0);
    expect(fits).toBeLessThan(128);
    expect(tf.memory().numTensors).toBe(before);
    const train = await cifarSlice(['cat', 'ship'], 64, 16);
    const trainer = new Trainer({ model, train, config: config(fits) });
    expect((await trainer.run()).status).toBe('completed');
    trainer.dispose();
    model.dispose();
  }, 180_000);
});
