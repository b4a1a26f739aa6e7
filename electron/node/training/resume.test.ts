/**
 * A run whose worker dies mid-epoch resumes from its last checkpoint with the same configuration and
 * the same label snapshot, even when labels changed while it was down.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { runConfigSchema } from '../../common/contract/runs.js';
import { EventHub } from '../events.js';
import { importImages } from '../import/importer.js';
import { openWorkspaceDb, type Db } from '../storage/db.js';
import { relabelImages } from '../storage/labels.js';
import { getRunRow, runEpochs, runImages } from '../storage/runs.js';
import { statement } from '../storage/statements.js';
import { RunManager } from './runManager.js';

// Real training on two cores that another test file may be sharing: allow minutes, not seconds.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 120_000 });

const CIFAR = path.resolve(import.meta.dirname, '../../../../shared/datasets/cifar10-mini');
let workspace: string;
let db: Db;

beforeAll(async () => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'studio-resume-'));
  db = openWorkspaceDb(workspace);
  await importImages(db, { folder: CIFAR, workspace });
});

afterAll(() => {
  db?.close();
  rmSync(workspace, { recursive: true, force: true });
});

it('resumes a killed run from its last checkpoint with the same configuration and label snapshot', async () => {
  const config = runConfigSchema.parse({ model: 'lite-16', imageSize: 16, epochs: 3, batchSize: 50, learningRate: 0.05 });
  const hub = new EventHub();
  const first = new RunManager(db, workspace, hub, { backend: 'wasm' });
  const { id: runId } = first.create(config);
  const snapshotBefore = (['train', 'val', 'test'] as const).map((split) => runImages(db, runId, split));

  // Kill the worker part-way through epoch 2, after epoch 1's checkpoint was written.
  const killed = new Promise<void>((resolve) => {
    hub.subscribe((event, payload) => {
      const p = payload as { epoch?: number; batch?: number };
      if (event === 'run.batch' && p.epoch === 2 && (p.batch ?? 0) >= 3) resolve();
    });
  });
  const outcome = first.waitFor(runId);
  await killed;
  await first.close();
  expect(await outcome).toEqual({ type: 'interrupted' });
  expect(getRunRow(db, runId)!.status).toBe('interrupted');
  expect(runEpochs(db, runId).map((e) => e.epoch)).toEqual([1]);

  // While the run is down, the user relabels images: the run must keep training on its snapshot.
  const otherClass = statement<[], { id: number }>(db, "SELECT id FROM classes WHERE name = 'cat'").get()!.id;
  const someTrain = snapshotBefore[0]!.slice(0, 40).map((i) => i.imageId);
  relabelImages(db, someTrain, otherClass);

  // The studio restarts: a new manager, and the user resumes the run.
  const events: { event: string; payload: { epoch?: number; step?: number } }[] = [];
  const hub2 = new EventHub();
  hub2.subscribe((event, payload) => events.push({ event, payload: payload as { epoch?: number; step?: number } }));
  const second = new RunManager(db, workspace, hub2, { backend: 'wasm' });
  second.resume(runId);
  const finished = await second.waitFor(runId);
  expect(finished).toMatchObject({ type: 'finished', status: 'completed', epochsDone: 3 });

  const run = getRunRow(db, runId)!;
  // As created: the automatic augmentation was resolved for these 32 px images when the run was made.
  expect(run.config).toEqual({ ...config, augmentation: { ...config.augmentation, preset: 'cifar' } });
  expect((['train', 'val', 'test'] as const).map((split) => runImages(db, runId, split))).toEqual(snapshotBefore);
  // Epochs 2 and 3 ran after the resume, continuing the step count from epoch 1's checkpoint.
  const epochs = runEpochs(db, runId);
  expect(epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
  const stepsPerEpoch = epochs[0]!.step;
  expect(epochs.map((e) => e.step)).toEqual([stepsPerEpoch, 2 * stepsPerEpoch, 3 * stepsPerEpoch]);
  expect(events.filter((e) => e.event === 'run.epoch').map((e) => e.payload.epoch)).toEqual([2, 3]);
  await second.close();
});

it('resumes a run killed mid-epoch from its mid-epoch checkpoint, not from the epoch start', async () => {
  const config = runConfigSchema.parse({ model: 'lite-16', imageSize: 16, epochs: 2, batchSize: 50, learningRate: 0.05 });
  const hub = new EventHub();
  // A checkpoint after every batch (the studio's default is every two minutes).
  const first = new RunManager(db, workspace, hub, { backend: 'wasm', checkpointIntervalSeconds: 0 });
  const { id: runId } = first.create(config);
  const killed = new Promise<void>((resolve) => {
    hub.subscribe((event, payload) => {
      const p = payload as { epoch?: number; batch?: number };
      if (event === 'run.batch' && p.epoch === 1 && (p.batch ?? 0) >= 6) resolve();
    });
  });
  const outcome = first.waitFor(runId);
  await killed;
  await first.close();
  expect(await outcome).toEqual({ type: 'interrupted' });
  expect(runEpochs(db, runId)).toEqual([]);

  const batches: { epoch?: number; batch?: number }[] = [];
  const hub2 = new EventHub();
  hub2.subscribe((event, payload) => event === 'run.batch' && batches.push(payload as { epoch?: number; batch?: number }));
  const second = new RunManager(db, workspace, hub2, { backend: 'wasm' });
  second.resume(runId);
  expect(await second.waitFor(runId)).toMatchObject({ type: 'finished', status: 'completed', epochsDone: 2 });
  // The first batch after the resume continues epoch 1 past the batches done before the kill.
  expect(batches[0]).toMatchObject({ epoch: 1 });
  expect(batches[0]!.batch).toBeGreaterThanOrEqual(6);
  const epochs = runEpochs(db, runId);
  expect(epochs.map((e) => e.epoch)).toEqual([1, 2]);
  expect(epochs[1]!.step).toBe(2 * epochs[0]!.step);
  await second.close();
});

it('keeps the progress of a run stopped mid-epoch: resuming continues after the last batch done', async () => {
  const config = runConfigSchema.parse({ model: 'lite-16', imageSize: 16, epochs: 1, batchSize: 50, learningRate: 0.05 });
  const hub = new EventHub();
  const manager = new RunManager(db, workspace, hub, { backend: 'wasm' });
  const { id: runId } = manager.create(config);
  let stopped = false;
  hub.subscribe((event, payload) => {
    const p = payload as { runId?: number; batch?: number };
    if (!stopped && event === 'run.batch' && p.runId === runId && (p.batch ?? 0) >= 5) {
      stopped = true;
      manager.stop(runId);
    }
  });
  expect(await manager.waitFor(runId)).toMatchObject({ type: 'finished', status: 'stopped' });

  const batches: number[] = [];
  hub.subscribe((event, payload) => event === 'run.batch' && batches.push((payload as { batch: number }).batch));
  manager.resume(runId);
  expect(await manager.waitFor(runId)).toMatchObject({ type: 'finished', status: 'completed', epochsDone: 1 });
  expect(batches[0]).toBeGreaterThan(5);
  await manager.close();
});
