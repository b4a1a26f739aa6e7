/**
 * The real network through the whole training path: a few steps of `lite-16` (spec §3.3) on real
 * images, then a checkpoint round trip, which needs the model's custom layers to serialise.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../model/index.js';
import { disposeOptimizerState, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { predictSource } from './evaluate.js';
import { Trainer } from './trainer.js';
import { cifarSlice } from './test/cifar.js';
import { useCpuBackend, weightValues } from './test/toy.js';

beforeAll(useCpuBackend);

describe('lite-16', () => {
  it('trains a few steps on CIFAR images and round-trips through a checkpoint', async () => {
    // 8x8 keeps the pure-JS backend at ~1 s per step; the mask still pools 8 -> 4 -> 2 -> 1 and back.
    const train = await cifarSlice(['airplane', 'frog'], 4, 8);
    const tensorsAtStart = tf.memory().numTensors;
    const model = buildModel('lite-16', { inputShape: [8, 8, 3], numClasses: 2 });
    const before = weightValues(model);
    const losses: number[] = [];
    const trainer = new Trainer({
      model,
      train,
      config: {
        epochs: 1,
        batchSize: 4,
        optimizer: { kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
        schedule: { kind: 'constant', baseLearningRate: 0.05 },
        augmentation: { padding: 1, horizontalFlip: true },
        seed: 1,
      },
      onBatch: (p) => void losses.push(p.loss),
    });
    expect(await trainer.run()).toMatchObject({ status: 'completed', position: { step: 2 } });
    expect(losses.every(Number.isFinite)).toBe(true);
    const after = weightValues(model);
    // Every weight moved: trainable ones by SGD, batch-norm moving statistics by training-mode forwards.
    const unchanged = model.weights.filter((w, i) => after[i].every((v, k) => v === before[i][k])).map((w) => w.originalName);
    expect(unchanged).toEqual([]);

    const dir = await mkdtemp(join(tmpdir(), 'train-lite-'));
    try {
      await saveCheckpoint(dir, trainer, { variant: 'lite-16' });
      const loaded = await loadCheckpoint(dir);
      disposeOptimizerState(loaded.snapshot.optimizer);
      const normalization = trainer.normalization!;
      const original = await predictSource(model, train, { normalization });
      const reloaded = await predictSource(loaded.model, train, { normalization: loaded.snapshot.normalization });
      expect(Array.from(reloaded.probabilities)).toEqual(Array.from(original.probabilities));
      loaded.model.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    trainer.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(tensorsAtStart);
  });
});
