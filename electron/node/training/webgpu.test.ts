/**
 * The studio's own services on the `webgpu` backend (SwiftShader where there is no GPU): a run in the
 * training worker with per-epoch validation and mask frames, evaluation, masks, file predictions and
 * an export that reproduces the run's predictions; and checkpoints that move between backends: written
 * on webgpu and resumed on wasm, and the reverse, ending at the weights of an uninterrupted run.
 *
 * SwiftShader runs WebGPU on the CPU at a few images per second, so everything is tiny: lite-16 at 8x8
 * on 20 CIFAR-10 images of two classes.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadCheckpoint } from '../../../ml/train/checkpoint.js';
import { CheckpointStore } from '../../../ml/train/checkpointStore.js';
import { webgpuSkipReason } from '../../../ml/webgpu/testing.js';
import { runConfigSchema } from '../../common/contract/runs.js';
import { EventHub } from '../events.js';
import { importImages } from '../import/importer.js';
import { openWorkspaceDb, type Db } from '../storage/db.js';
import { runImages, splitPredictions } from '../storage/runs.js';
import { InferenceClient } from './inferenceClient.js';
import { checkpointRoot } from './paths.js';
import { RunManager } from './runManager.js';
import { initialRunModel } from './trainTask.js';

vi.setConfig({ testTimeout: 600_000, hookTimeout: 120_000 });

const CIFAR = path.resolve(import.meta.dirname, '../../../../shared/datasets/cifar10-mini');
const skip = await webgpuSkipReason();
if (skip) console.warn(`skipping the studio's WebGPU runs: ${skip}`);

let root: string;
let workspace: string;
let db: Db;

// 16 training images: one step per epoch. A small network on 8x8 images, with batch norm over a few
// values per channel, magnifies float rounding from step to step (two backends drift apart by ~1e-3 of
// the distance trained after 2 steps, by ~10 % after 8), so the resume checks take 2 steps in all.
const config = runConfigSchema.parse({
  model: 'lite-16', imageSize: 8, epochs: 2, batchSize: 16, learningRate: 0.005, schedule: 'constant', augmentation: { padding: 1, horizontalFlip: true },
});

beforeAll(async () => {
  if (skip) return;
  await tf.setBackend('cpu');
  root = mkdtempSync(path.join(os.tmpdir(), 'studio-webgpu-'));
  const folder = path.join(root, 'photos');
  for (const label of ['cat', 'ship']) {
    mkdirSync(path.join(folder, label), { recursive: true });
    for (const file of readdirSync(path.join(CIFAR, label)).sort().slice(0, 10)) cpSync(path.join(CIFAR, label, file), path.join(folder, label, file));
  }
  workspace = path.join(root, 'workspace');
  db = openWorkspaceDb(workspace);
  const report = await importImages(db, { folder, workspace });
  expect(report.imported).toBe(20);
});

afterAll(() => {
  db?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

async function train(backend: string, runId: number | null, stopAfterEpoch?: number): Promise<{ runId: number; events: string[]; backendUsed: string | null }> {
  const hub = new EventHub();
  const events: string[] = [];
  const manager = new RunManager(db, workspace, hub, { backend });
  const id = runId ?? manager.create(config).id;
  hub.subscribe((event, payload) => {
    events.push(event);
    if (stopAfterEpoch !== undefined && event === 'run.epoch' && (payload as { epoch: number }).epoch === stopAfterEpoch) manager.stop(id);
  });
  if (runId !== null) manager.resume(id);
  const outcome = await manager.waitFor(id);
  expect(outcome.type === 'failed' ? outcome.error : outcome.type).toBe('finished');
  return { runId: id, events, backendUsed: manager.get(id).backend };
}

async function finalWeights(runId: number): Promise<Float32Array[]> {
  const latest = await new CheckpointStore(checkpointRoot(workspace, runId)).latest();
  const loaded = await loadCheckpoint(latest!.path);
  loaded.snapshot.optimizer.slots.forEach((s) => s.tensor.dispose());
  const values = await Promise.all(loaded.model.getWeights().map(async (w) => (await w.data()) as Float32Array));
  loaded.model.dispose();
  return values;
}

async function initialWeights(): Promise<Float32Array[]> {
  const model = initialRunModel('lite-16', config, 3, 2);
  const values = await Promise.all(model.getWeights().map(async (w) => (await w.data()) as Float32Array));
  model.dispose();
  return values;
}

/** ||a − b|| over every weight, relative to how far training moved b from where it started. */
function differenceOverDistanceTrained(a: Float32Array[], b: Float32Array[], start: Float32Array[]): number {
  let difference = 0;
  let travelled = 0;
  b.forEach((values, t) => {
    values.forEach((v, i) => {
      difference += (a[t]![i]! - v) ** 2;
      travelled += (v - start[t]![i]!) ** 2;
    });
  });
  return Math.sqrt(difference / travelled);
}

describe.skipIf(skip !== null)('the studio on webgpu', () => {
  let runId: number;

  it('trains a run in the worker with validation, confusion matrices and mask frames each epoch', async () => {
    const result = await train('webgpu', null);
    runId = result.runId;
    expect(result.backendUsed).toBe('webgpu');
    expect(result.events.filter((e) => e === 'run.epoch')).toHaveLength(2);
    expect(result.events.filter((e) => e === 'run.masks')).toHaveLength(2);
  });

  it('evaluates, shows masks, predicts files and exports a folder that reproduces its predictions', async () => {
    const inference = new InferenceClient(workspace, { backend: 'webgpu' });
    try {
      const evaluation = await inference.evaluate(runId, 'test');
      expect(evaluation.confusionMatrix.flat().reduce((a, b) => a + b, 0)).toBe(runImages(db, runId, 'test').length);
      for (const p of splitPredictions(db, runId, 'test')) expect(p.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      const image = runImages(db, runId, 'val')[0]!;
      const masks = await inference.masks(runId, image.imageId);
      expect(masks.masks).toHaveLength(3);
      const [prediction] = await inference.predictFiles(runId, [path.join(CIFAR, 'cat', '0001.jpg')]);
      expect(prediction!.error).toBeNull();
      const folder = path.join(root, 'export');
      const report = await inference.exportModel(runId, folder);
      for (const check of report.checks) expect(check.samePredictions).toBe(check.images);
      for (const check of report.checks) expect(check.maxProbabilityDifference).toBeLessThan(1e-4);
      expect(report.checks.map((check) => check.format)).toEqual(['tfjs', 'onnx']);
      expect(readFileSync(path.join(folder, 'model.json'), 'utf8')).not.toContain('BatchNormRelu');
    } finally {
      await inference.close();
    }
  });

  it('resumes a checkpoint across backends, webgpu to wasm and wasm to webgpu, at the weights of an uninterrupted run', async () => {
    const start = await initialWeights();
    const uninterrupted = await finalWeights((await train('wasm', null)).runId);
    const gpuFirst = await train('webgpu', null, 1);
    await train('wasm', gpuFirst.runId);
    const cpuFirst = await train('wasm', null, 1);
    await train('webgpu', cpuFirst.runId);
    // A resume that lost anything (optimiser state, position, normalisation) lands ~0.3 away or more;
    // float rounding between backends, ~1e-3.
    for (const [name, id] of [['webgpu then wasm', gpuFirst.runId], ['wasm then webgpu', cpuFirst.runId]] as const) {
      const d = differenceOverDistanceTrained(await finalWeights(id), uninterrupted, start);
      expect(d, name).toBeLessThan(0.02);
    }
  });
});
