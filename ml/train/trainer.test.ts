import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { noAugmentation } from './preprocess.js';
import { DivergedError } from './trainStep.js';
import { Trainer, type BatchProgress, type EpochReport, type TrainingConfig } from './trainer.js';
import { tinyModel, toyShapes, useCpuBackend, weightValues } from './test/toy.js';

beforeAll(useCpuBackend);

const config: TrainingConfig = {
  epochs: 2,
  batchSize: 16,
  optimizer: { kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 1e-4 },
  schedule: { kind: 'constant', baseLearningRate: 0.1 },
  augmentation: { padding: 1, horizontalFlip: true },
  seed: 7,
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited > 20_000) throw new Error('Timed out waiting for the trainer.');
    await sleep(10);
  }
}

describe('Trainer', () => {
  it('lowers the loss and learns a learnable toy problem', async () => {
    const model = tinyModel();
    const reports: EpochReport[] = [];
    const trainer = new Trainer({
      model,
      train: toyShapes(96, 1),
      validation: toyShapes(48, 2),
      config: { ...config, epochs: 6, augmentation: noAugmentation, schedule: { kind: 'cosine', baseLearningRate: 0.5, warmup: { epochs: 1 } } },
      onEpoch: (report) => void reports.push(report),
    });
    const outcome = await trainer.run();
    trainer.dispose();
    expect(outcome).toEqual({ status: 'completed', position: { epoch: 6, batch: 0, step: 36 } });
    expect(reports.map((r) => r.epoch)).toEqual([1, 2, 3, 4, 5, 6]);
    const first = reports[0];
    const last = reports[5];
    expect(last.trainLoss).toBeLessThan(first.trainLoss * 0.7);
    expect(last.validation!.loss).toBeLessThan(first.validation!.loss);
    expect(last.validation!.accuracy).toBeGreaterThan(0.8); // chance is 1/3
    const matrix = last.validation!.confusionMatrix;
    expect(matrix).toHaveLength(3);
    // Rows are true classes: the validation set holds 16 of each.
    expect(matrix.map((row) => row.reduce((a, b) => a + b, 0))).toEqual([16, 16, 16]);
    model.dispose();
  });

  it('trains batch norm in training mode and predicts with its moving statistics', async () => {
    const model = tinyModel();
    const movingMean = () => Array.from(model.getLayer('bn').getWeights()[2].dataSync());
    const before = movingMean();
    const trainer = new Trainer({ model, train: toyShapes(32), config: { ...config, epochs: 1 } });
    await trainer.run();
    trainer.dispose();
    expect(movingMean()).not.toEqual(before);
    const x = tf.randomUniform([4, 8, 8, 1], -1, 1, 'float32', 3);
    const inference = model.predict(x) as tf.Tensor;
    const training = model.apply(x, { training: true }) as tf.Tensor;
    expect(Array.from(inference.dataSync())).not.toEqual(Array.from(training.dataSync()));
    tf.dispose([x, inference, training]);
    model.dispose();
  });

  it('repeats a run exactly for the same seed and differs for another', async () => {
    const losses = async (seed: number) => {
      const model = tinyModel();
      const seen: number[] = [];
      const trainer = new Trainer({ model, train: toyShapes(40), config: { ...config, seed }, onBatch: (p) => void seen.push(p.loss) });
      await trainer.run();
      trainer.dispose();
      const weights = weightValues(model);
      model.dispose();
      return { seen, weights };
    };
    const a = await losses(1);
    const b = await losses(1);
    const c = await losses(2);
    expect(b.seen).toEqual(a.seen);
    expect(b.weights).toEqual(a.weights);
    expect(c.seen).not.toEqual(a.seen);
  });

  it('reports per-batch progress with the schedule and a finite ETA', async () => {
    const model = tinyModel();
    const progress: BatchProgress[] = [];
    const trainer = new Trainer({
      model,
      train: toyShapes(40), // 16 + 16 + 8: the last batch is partial
      config: { ...config, schedule: { kind: 'step', baseLearningRate: 0.1, milestones: [{ epochs: 1 }] } },
      onBatch: (p) => void progress.push(p),
    });
    await trainer.run();
    trainer.dispose();
    expect(progress.map((p) => [p.epoch, p.batch, p.step])).toEqual([
      [1, 1, 1],
      [1, 2, 2],
      [1, 3, 3],
      [2, 1, 4],
      [2, 2, 5],
      [2, 3, 6],
    ]);
    expect(progress.map((p) => p.learningRate)).toEqual([0.1, 0.1, 0.1, 0.1 * 0.1, 0.1 * 0.1, 0.1 * 0.1]);
    for (const p of progress) {
      expect(p.imagesPerSecond).toBeGreaterThan(0);
      expect(Number.isFinite(p.etaSeconds)).toBe(true);
      expect(p.accuracy).toBeGreaterThanOrEqual(0);
      expect(p.accuracy).toBeLessThanOrEqual(1);
      expect(p.totalSteps).toBe(6);
    }
    expect(progress.at(-1)!.etaSeconds).toBe(0);
    model.dispose();
  });

  it('pauses and resumes at a batch boundary, then stops cleanly', async () => {
    const model = tinyModel();
    const steps: number[] = [];
    const trainer = new Trainer({
      model,
      train: toyShapes(96),
      config: { ...config, epochs: 3 },
      onBatch: (p) => {
        steps.push(p.step);
        if (p.step === 2) trainer.pause();
        if (p.step === 8) trainer.stop();
      },
    });
    const running = trainer.run();
    await until(() => trainer.state === 'paused');
    await sleep(150);
    expect(trainer.state).toBe('paused');
    expect(steps).toEqual([1, 2]);
    trainer.resume();
    const outcome = await running;
    // Step 8 is the 2nd batch of epoch 2 (6 batches per epoch); the run stops before the 3rd.
    expect(outcome).toEqual({ status: 'stopped', position: { epoch: 1, batch: 2, step: 8 } });
    expect(steps).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(trainer.state).toBe('stopped');
    trainer.dispose();
    model.dispose();
  });

  it('stops from a pause without training another batch', async () => {
    const model = tinyModel();
    let batches = 0;
    const trainer = new Trainer({ model, train: toyShapes(64), config, onBatch: () => (batches++, trainer.pause()) });
    const running = trainer.run();
    await until(() => trainer.state === 'paused');
    trainer.stop();
    expect(await running).toMatchObject({ status: 'stopped', position: { step: 1 } });
    expect(batches).toBe(1);
    trainer.dispose();
    model.dispose();
  });

  it('holds a pause requested during validation before the next epoch trains', async () => {
    const model = tinyModel();
    let steps = 0;
    const trainer = new Trainer({
      model,
      train: toyShapes(32),
      validation: toyShapes(8, 2),
      config,
      onBatch: () => void steps++,
      onEpoch: (report, t) => void (report.epoch === 1 && t.pause()),
    });
    const running = trainer.run();
    await until(() => trainer.state === 'paused');
    await sleep(100);
    expect(steps).toBe(2);
    trainer.resume();
    expect(await running).toMatchObject({ status: 'completed', position: { step: 4 } });
    trainer.dispose();
    model.dispose();
  });

  it('asks for the next batch while training on the current one, and closes the source on stop', async () => {
    const model = tinyModel();
    const toy = toyShapes(64);
    const log: string[] = [];
    const source = {
      size: toy.size,
      numClasses: toy.numClasses,
      imageShape: toy.imageShape,
      async *batches(order: ArrayLike<number>, batchSize: number) {
        try {
          let k = 0;
          for await (const batch of toy.batches(order, batchSize)) {
            log.push(`fetch ${++k}`);
            yield batch;
          }
        } finally {
          log.push('closed');
        }
      },
    };
    const trainer: Trainer = new Trainer({
      model,
      train: source,
      normalization: { mean: [0.2], std: [0.3] },
      config,
      onBatch: (p) => (log.push(`trained ${p.batch}`), p.batch === 2 && trainer.stop()),
    });
    expect(await trainer.run()).toMatchObject({ status: 'stopped', position: { step: 2 } });
    expect(log).toEqual(['fetch 1', 'fetch 2', 'trained 1', 'fetch 3', 'trained 2', 'closed']);
    trainer.dispose();
    model.dispose();
  });

  it.each([
    { name: 'pad-and-crop', augmentation: config.augmentation },
    {
      name: 'photo augmentation',
      augmentation: { padding: 0, horizontalFlip: true, randomResizedCrop: { scale: [0.08, 1] as [number, number], ratio: [3 / 4, 4 / 3] as [number, number] }, colourJitter: { brightness: 0.2, contrast: 0.2, saturation: 0.2 } },
    },
  ])('holds no more tensors after epoch 2 than after epoch 1 ($name)', async ({ augmentation }) => {
    const model = tinyModel();
    const counts: number[] = [];
    const trainer = new Trainer({
      model,
      train: toyShapes(48),
      validation: toyShapes(20, 3),
      config: { ...config, augmentation, epochs: 3, optimizer: { kind: 'adam', weightDecay: 0.01 } },
      onEpoch: () => void counts.push(tf.memory().numTensors),
    });
    await trainer.run();
    expect(counts).toHaveLength(3);
    expect(counts[1]).toBe(counts[0]);
    expect(counts[2]).toBe(counts[0]);
    const beforeDispose = tf.memory().numTensors;
    trainer.dispose();
    // Adam keeps two slots per trainable weight (conv kernel, gamma, beta, dense kernel, bias).
    expect(beforeDispose - tf.memory().numTensors).toBe(2 * 5);
    model.dispose();
  });

  it('ends completed after the epochs done when retargeted to them between epochs, and refuses fewer', async () => {
    const model = tinyModel();
    const retargets: string[] = [];
    const trainer = new Trainer({
      model,
      train: toyShapes(32),
      config: { ...config, epochs: 3 },
      onEpoch: (report, current) => {
        expect(() => current.retarget(report.epoch - 1)).toThrow(/cannot be retargeted to 0 epochs/);
        current.retarget(report.epoch);
        retargets.push(`${report.epoch} of ${current.config.epochs}`);
      },
    });
    expect(await trainer.run()).toMatchObject({ status: 'completed', position: { epoch: 1 } });
    expect(retargets).toEqual(['1 of 1']);
    trainer.dispose();
    model.dispose();
  });

  it('fails with a clear error when the loss diverges, before updating the weights', async () => {
    const model = tinyModel();
    const trainer = new Trainer({ model, train: toyShapes(32), config: { ...config, schedule: { kind: 'constant', baseLearningRate: 1e38 } } });
    await expect(trainer.run()).rejects.toBeInstanceOf(DivergedError);
    expect(trainer.state).toBe('failed');
    trainer.dispose();
    model.dispose();
  });

  it('refuses a model that does not fit the data', () => {
    const model = tinyModel([8, 8, 1], 5);
    expect(() => new Trainer({ model, train: toyShapes(32), config })).toThrow(/outputs 5 classes; the training set has 3/);
    model.dispose();
  });
});
