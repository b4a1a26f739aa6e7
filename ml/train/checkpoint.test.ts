import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDirectoryAtomically } from './atomicDir.js';
import { disposeOptimizerState, loadCheckpoint, saveCheckpoint, type CheckpointSource } from './checkpoint.js';
import { CheckpointStore } from './checkpointStore.js';
import { Trainer, type TrainerSnapshot, type TrainingConfig } from './trainer.js';
import { tinyModel, toyShapes, useCpuBackend, weightValues } from './test/toy.js';

let root: string;
beforeAll(async () => {
  await useCpuBackend();
  root = await mkdtemp(join(tmpdir(), 'train-checkpoint-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

const config: TrainingConfig = {
  epochs: 2,
  batchSize: 16,
  optimizer: { kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
  schedule: { kind: 'cosine', baseLearningRate: 0.2, warmup: { fraction: 0.2 } },
  augmentation: { padding: 1, horizontalFlip: true },
  seed: 21,
};
const train = toyShapes(40); // 3 batches per epoch, the last one partial

/** Reads a saved model the way any tfjs app would: the generic HTTP loader, served from the folder. */
function loadOverHttp(dir: string): Promise<tf.LayersModel> {
  const fetchFunc = async (url: string | URL | Request) => new Response(await readFile(join(dir, new URL(String(url)).pathname)));
  return tf.loadLayersModel(tf.io.http('http://studio.invalid/model.json', { fetchFunc }));
}

describe('checkpoints', () => {
  it('saves the model in tfjs Layers format with the optimiser state, and loads both back', async () => {
    const model = tinyModel();
    const trainer = new Trainer({ model, train, config: { ...config, epochs: 1 } });
    await trainer.run();
    const dir = join(root, 'round-trip');
    await saveCheckpoint(dir, trainer, { variant: 'tiny', classNames: ['h', 'v', 'square'] });
    expect((await readdir(dir)).sort()).toEqual(['checkpoint.json', 'model', 'optimizer.bin']);
    expect((await readdir(join(dir, 'model'))).sort()).toEqual(['model.json', 'weights.bin']);
    expect((await readdir(root)).filter((name) => name.startsWith('.'))).toEqual([]);

    const elsewhere = await loadOverHttp(join(dir, 'model'));
    expect(weightValues(elsewhere)).toEqual(weightValues(model));
    const loaded = await loadCheckpoint(dir);
    expect(weightValues(loaded.model)).toEqual(weightValues(model));
    expect(loaded.metadata).toEqual({ variant: 'tiny', classNames: ['h', 'v', 'square'] });
    const original = trainer.snapshot();
    expect(loaded.snapshot.position).toEqual({ epoch: 1, batch: 0, step: 3 });
    expect(loaded.snapshot.normalization).toEqual(original.normalization);
    expect(loaded.snapshot.config).toEqual({ ...config, epochs: 1 });
    expect(loaded.snapshot.optimizer.iterations).toBe(3);
    expect(loaded.snapshot.optimizer.slots.map((s) => [s.param, s.slot, Array.from(s.tensor.dataSync())])).toEqual(
      original.optimizer.slots.map((s) => [s.param, s.slot, Array.from(s.tensor.dataSync())]),
    );
    disposeOptimizerState(original.optimizer);
    disposeOptimizerState(loaded.snapshot.optimizer);
    trainer.dispose();
    [model, elsewhere, loaded.model].forEach((m) => m.dispose());
  });

  it('resumes a run stopped mid-epoch to exactly the weights of an uninterrupted run', async () => {
    const straight = tinyModel();
    const uninterrupted = new Trainer({ model: straight, train, config });
    await uninterrupted.run();
    uninterrupted.dispose();

    const first = tinyModel();
    const interrupted: Trainer = new Trainer({ model: first, train, config, onBatch: (p) => p.step === 4 && interrupted.stop() });
    expect(await interrupted.run()).toEqual({ status: 'stopped', position: { epoch: 1, batch: 1, step: 4 } });
    const dir = join(root, 'resume');
    await saveCheckpoint(dir, interrupted);
    interrupted.dispose();
    first.dispose();

    const loaded = await loadCheckpoint(dir);
    const steps: number[] = [];
    const resumed = new Trainer({
      model: loaded.model,
      train,
      config: loaded.snapshot.config,
      resume: loaded.snapshot,
      onBatch: (p) => void steps.push(p.step),
    });
    expect(() => new Trainer({ model: loaded.model, train, config: { ...config, batchSize: 8 }, resume: loaded.snapshot })).toThrow(
      /middle of an epoch: resume it with the same batch size/,
    );
    disposeOptimizerState(loaded.snapshot.optimizer);
    expect(await resumed.run()).toMatchObject({ status: 'completed', position: { epoch: 2, step: 6 } });
    expect(steps).toEqual([5, 6]);
    expect(weightValues(loaded.model)).toEqual(weightValues(straight));
    resumed.dispose();
    loaded.model.dispose();
    straight.dispose();
  });

  it('saves mid-epoch when a checkpoint is due, and a crash after it resumes from that batch exactly', async () => {
    const straight = tinyModel();
    const uninterrupted = new Trainer({ model: straight, train, config });
    await uninterrupted.run();
    uninterrupted.dispose();

    // Every batch is "due" (interval 0); the epoch's end has onEpoch instead, so saves land after steps 1, 2, 4, 5.
    const model = tinyModel();
    const store = new CheckpointStore(join(root, 'mid-epoch'), 1);
    const saved: number[] = [];
    const crashing: Trainer = new Trainer({
      model, train, config, checkpointIntervalSeconds: 0,
      onCheckpointDue: async (t) => {
        saved.push(t.position.step);
        await store.save(t);
        if (t.position.step === 4) throw new Error('simulated crash');
      },
    });
    await expect(crashing.run()).rejects.toThrow('simulated crash');
    expect(saved).toEqual([1, 2, 4]);
    crashing.dispose();
    model.dispose();

    const latest = (await store.loadLatest())!;
    expect(latest.snapshot.position).toEqual({ epoch: 1, batch: 1, step: 4 });
    const steps: number[] = [];
    const resumed = new Trainer({
      model: latest.model, train, config: latest.snapshot.config, resume: latest.snapshot, onBatch: (p) => void steps.push(p.step),
    });
    disposeOptimizerState(latest.snapshot.optimizer);
    await resumed.run();
    expect(steps).toEqual([5, 6]);
    expect(weightValues(latest.model)).toEqual(weightValues(straight));
    resumed.dispose();
    latest.model.dispose();
    straight.dispose();
  });

  it('replaces an existing checkpoint folder', async () => {
    const dir = join(root, 'replace');
    await writeDirectoryAtomically(dir, { 'a.txt': 'old', 'stale.txt': 'x' });
    await writeDirectoryAtomically(dir, { 'a.txt': 'new' });
    expect(await readdir(dir)).toEqual(['a.txt']);
    expect(await readFile(join(dir, 'a.txt'), 'utf8')).toBe('new');
    expect((await readdir(root)).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  it('leaves the previous version untouched and no temporaries when a write fails', async () => {
    const dir = join(root, 'failed-write');
    await writeDirectoryAtomically(dir, { 'a.txt': 'kept' });
    await expect(writeDirectoryAtomically(dir, { 'a.txt': 'new', 'missing/b.txt': 'x' })).rejects.toThrow(/ENOENT/);
    expect(await readFile(join(dir, 'a.txt'), 'utf8')).toBe('kept');
    expect((await readdir(root)).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  it('explains a missing checkpoint and one from a newer version', async () => {
    await expect(loadCheckpoint(join(root, 'nowhere'))).rejects.toThrow(/No checkpoint at .*nowhere/);
    const dir = join(root, 'future');
    await writeDirectoryAtomically(dir, { 'checkpoint.json': JSON.stringify({ format: 'attention-studio-checkpoint', version: 99 }) });
    await expect(loadCheckpoint(dir)).rejects.toThrow(/newer Attention Studio/);
  });
});

describe('CheckpointStore', () => {
  it('keeps the newest checkpoints, one folder per step, and loads the latest', async () => {
    const model = tinyModel();
    const at = (step: number): CheckpointSource => ({
      model,
      snapshot: (): TrainerSnapshot => ({
        config,
        normalization: { mean: [0.2], std: [0.3] },
        position: { epoch: 0, batch: step, step },
        optimizer: { kind: 'sgd', iterations: step, slots: [] },
      }),
    });
    const store = new CheckpointStore(join(root, 'store'), 2);
    expect(await store.latest()).toBeNull();
    for (const step of [3, 12, 7, 20]) await store.save(at(step));
    await writeFile(join(root, 'store', '.step-000000099.tmp-crashed'), 'left by a crash');
    await store.save(at(25));
    expect((await store.list()).map((c) => c.step)).toEqual([20, 25]);
    expect(await readdir(join(root, 'store'))).toEqual(['step-000000020', 'step-000000025']);
    const latest = await store.loadLatest();
    expect(latest!.snapshot.position.step).toBe(25);
    latest!.model.dispose();
    model.dispose();
  });
});
