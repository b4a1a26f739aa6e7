/**
 * Training runs end to end on real parts: a real workspace database, CIFAR-10 images imported the way
 * a user imports them, real tfjs training steps in a real worker thread, evaluation, masks, export.
 * Images are trained at 16x16 to keep the suite short on two cores.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runConfigSchema } from '../../common/contract/runs.js';
import { EventHub } from '../events.js';
import { importImages } from '../import/importer.js';
import { openWorkspaceDb, type Db } from '../storage/db.js';
import { runImages, runSplitCounts, splitPredictions } from '../storage/runs.js';
import { statement } from '../storage/statements.js';
import { InferenceClient } from './inferenceClient.js';
import { RunManager } from './runManager.js';

// Real training on two cores that another test file may be sharing: allow minutes, not seconds.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 120_000 });

const CIFAR = path.resolve(import.meta.dirname, '../../../../shared/datasets/cifar10-mini');

let workspace: string;
let db: Db;
let inference: InferenceClient;

const config = runConfigSchema.parse({ model: 'lite-16', imageSize: 16, epochs: 2, batchSize: 50, learningRate: 0.05, augmentation: { padding: 2, horizontalFlip: true } });

beforeAll(async () => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'studio-runs-'));
  db = openWorkspaceDb(workspace);
  const report = await importImages(db, { folder: CIFAR, workspace });
  expect(report.imported).toBe(1000);
  inference = new InferenceClient(workspace, { backend: 'wasm' });
});

afterAll(async () => {
  await inference?.close();
  db?.close();
  rmSync(workspace, { recursive: true, force: true });
});

describe('a training run on CIFAR-10 images', () => {
  let runId: number;
  const events: { event: string; payload: Record<string, unknown> }[] = [];

  it('trains lite-16 for two epochs in a worker, streaming batches, epochs, confusion matrices and masks', async () => {
    const hub = new EventHub();
    hub.subscribe((event, payload) => events.push({ event, payload: payload as unknown as Record<string, unknown> }));
    const manager = new RunManager(db, workspace, hub, { backend: 'wasm' });
    const created = manager.create(config, 'cifar smoke');
    runId = created.id;
    expect(created.classNames).toHaveLength(10);
    expect(created.images.train + created.images.val + created.images.test).toBe(1000);
    const outcome = await manager.waitFor(runId);
    expect(outcome).toMatchObject({ type: 'finished', status: 'completed', epochsDone: 2 });

    const epochs = events.filter((e) => e.event === 'run.epoch');
    expect(epochs.map((e) => e.payload.epoch)).toEqual([1, 2]);
    const confusion = epochs[1]!.payload.confusion as number[][];
    expect(confusion.flat().reduce((a, b) => a + b, 0)).toBe(created.images.val);
    expect(events.some((e) => e.event === 'run.batch')).toBe(true);
    const masks = events.filter((e) => e.event === 'run.masks');
    expect(masks).toHaveLength(2);
    const frames = masks[0]!.payload.frames as { masks: { width: number; height: number; data: string }[] }[];
    expect(frames.length).toBeGreaterThanOrEqual(10);
    expect(frames[0]!.masks.map((m) => m.width)).toEqual([16, 8, 4]);
    expect(manager.get(runId).status).toBe('completed');
  });

  it('evaluates the checkpoint: the confusion matrix sums to the split and every image has a stored prediction', async () => {
    const evaluation = await inference.evaluate(runId, 'test');
    const counts = runSplitCounts(db, runId);
    expect(evaluation.images).toBe(counts.test);
    expect(evaluation.confusionMatrix.flat().reduce((a, b) => a + b, 0)).toBe(counts.test);
    expect(evaluation.perClass).toHaveLength(10);
    const stored = splitPredictions(db, runId, 'test');
    expect(stored.map((p) => p.imageId).sort((a, b) => a - b)).toEqual(runImages(db, runId, 'test').map((i) => i.imageId));
    for (const p of stored) {
      expect(p.probabilities).toHaveLength(10);
      expect(p.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    }
  });

  it("returns each module's mask at the image's own size with values in [0, 1]", async () => {
    const image = runImages(db, runId, 'val')[0]!;
    const size = statement<[number], { width: number; height: number }>(db, 'SELECT width, height FROM images WHERE id = ?').get(image.imageId)!;
    const result = await inference.masks(runId, image.imageId);
    expect(result.masks).toHaveLength(3);
    for (const mask of result.masks) {
      expect([mask.width, mask.height]).toEqual([size.width, size.height]);
      const bytes = Buffer.from(mask.data, 'base64');
      expect(bytes).toHaveLength(size.width * size.height);
      // Bytes are 0..255 for mask values 0..1; a trained mask is not a constant.
      expect(new Set(bytes).size).toBeGreaterThan(1);
    }
    expect(result.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
  });

  it('exports a tfjs folder that reproduces the stored validation predictions', async () => {
    const folder = path.join(workspace, 'export');
    const report = await inference.exportModel(runId, folder);
    for (const check of report.checks) expect(check.samePredictions).toBe(check.images);
    for (const check of report.checks) expect(check.maxProbabilityDifference).toBeLessThan(1e-4);
      expect(report.checks.map((check) => check.format)).toEqual(['tfjs', 'onnx']);
    expect(JSON.parse(readFileSync(path.join(folder, 'labels.json'), 'utf8'))).toHaveLength(10);
    const model = JSON.parse(readFileSync(path.join(folder, 'model.json'), 'utf8')) as { format: string };
    expect(model.format).toBe('layers-model');
    // The run trained with fused BatchNorm+ReLU layers (wasm); the export has stock layers only.
    const checkpoints = path.join(workspace, 'runs', String(runId), 'checkpoints');
    const latest = readdirSync(checkpoints).sort().at(-1)!;
    expect(readFileSync(path.join(checkpoints, latest, 'model', 'model.json'), 'utf8')).toContain('"BatchNormRelu"');
    const exported = readFileSync(path.join(folder, 'model.json'), 'utf8');
    expect(exported).not.toContain('BatchNormRelu');
    expect(exported).toContain('"BatchNormalization"');
  });

  it('predicts files, naming the ones it cannot read', async () => {
    const [good, bad] = await inference.predictFiles(runId, [path.join(CIFAR, 'cat', '0001.jpg'), path.join(CIFAR, 'missing.png')]);
    expect(good!.error).toBeNull();
    expect(good!.predicted).toBeTypeOf('string');
    expect(bad!.predicted).toBeNull();
    expect(bad!.error).toContain('missing.png');
  });
});
