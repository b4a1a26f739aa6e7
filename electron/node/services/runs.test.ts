/**
 * The runs service methods the Training view reads before and between runs: the model list (with
 * parameter counts and the last measured speed) and the latest attention-mask frames, on a workspace
 * whose run rows are written directly (no training needed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConfigSchema, type ModelInfo, type RunEvaluation, type RunMasksEvent } from '../../common/contract/runs.js';
import { EventHub } from '../events.js';
import { createDispatcher } from '../rpc/dispatch.js';
import { createRunWithSnapshot, insertMaskFrames, recordEpoch, replacePredictions, snapshotClasses, updateRun } from '../storage/runs.js';
import { insertSyntheticImages, tempWorkspace, type TempWorkspace } from '../storage/testing/fixtures.js';
import { createHandlers } from './index.js';

let ws: TempWorkspace;
let call: (method: string, args?: unknown) => Promise<unknown>;
let runId: number;
let valIds: number[];

const epoch = (n: number, imagesPerSecond: number) => ({
  epoch: n, step: n * 10, learningRate: 0.1, trainLoss: 1, trainAccuracy: 0.5, valLoss: 1, valAccuracy: 0.5,
  trainSeconds: 10, imagesPerSecond, confusion: [[1, 0], [0, 1]],
});

beforeAll(() => {
  ws = tempWorkspace();
  insertSyntheticImages(ws.db, ['cat', 'dog'], 60, { split: 'train' });
  valIds = insertSyntheticImages(ws.db, ['cat', 'dog'], 5, { split: 'val', tag: 'val' });
  const config = runConfigSchema.parse({ model: 'lite-16', imageSize: 16, batchSize: 50 });
  runId = createRunWithSnapshot(ws.db, 'measured', config, snapshotClasses(ws.db));
  updateRun(ws.db, runId, { status: 'completed', backend: 'wasm' });
  recordEpoch(ws.db, runId, epoch(1, 120));
  recordEpoch(ws.db, runId, epoch(2, 150));
  const mask = (imageId: number, module: number, side: number) => ({ imageId, module, height: side, width: side, data: new Uint8Array(side * side).fill(module * 50) });
  insertMaskFrames(ws.db, runId, 1, [mask(valIds[0]!, 0, 16)]);
  insertMaskFrames(ws.db, runId, 2, [mask(valIds[0]!, 0, 16), mask(valIds[0]!, 1, 8), mask(valIds[5]!, 0, 16), mask(valIds[5]!, 1, 8)]);
  call = createDispatcher(createHandlers({ mode: 'browser', workspace: ws.dir, events: new EventHub() }));
});

afterAll(() => ws.dispose());

describe('runs service: models and mask frames', () => {
  it('lists every variant with its parameter count for the requested classes and channels', async () => {
    const models = (await call('listModels', { numClasses: 2, channels: 3 })) as ModelInfo[];
    expect(models.map((m) => m.name)).toContain('lite-32');
    const lite16 = models.find((m) => m.name === 'lite-16')!;
    // 68,122 at 10 classes; the classifier reads 64 features: 8 fewer classes drop 8 x 65 weights.
    expect(lite16.params).toBe(68_122 - 8 * 65);
    expect(lite16.doc).toMatch(/lite/i);
  });

  it("reports the last epoch's measured speed of the newest run of a model, and none for models never run", async () => {
    const models = (await call('listModels', {})) as ModelInfo[];
    expect(models.find((m) => m.name === 'lite-16')!.measured).toEqual({ runId, imagesPerSecond: 150, imageSize: 16, batchSize: 50, backend: 'wasm' });
    expect(models.find((m) => m.name === 'lite-32')!.measured).toBeNull();
  });

  it("returns the latest epoch's mask frames with module names and the snapshot labels", async () => {
    const latest = (await call('latestMasks', { runId })) as RunMasksEvent;
    expect(latest.epoch).toBe(2);
    expect(latest.frames.map((f) => f.imageId)).toEqual([valIds[0], valIds[5]]);
    expect(latest.frames.map((f) => f.label)).toEqual([0, 1]);
    expect(latest.frames[0]!.masks.map((m) => [m.module, m.width])).toEqual([['stage1_attn1_mask', 16], ['stage2_attn1_mask', 8]]);
    expect(Buffer.from(latest.frames[0]!.masks[1]!.data, 'base64')).toEqual(Buffer.alloc(64, 50));
  });

  it('returns null before the first epoch has masks, and not_found for an unknown run', async () => {
    const config = runConfigSchema.parse({ model: 'lite-16', batchSize: 50 });
    const fresh = createRunWithSnapshot(ws.db, 'fresh', config, snapshotClasses(ws.db));
    updateRun(ws.db, fresh, { status: 'stopped' });
    expect(await call('latestMasks', { runId: fresh })).toBeNull();
    await expect(call('latestMasks', { runId: 9999 })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('summarises the stored predictions of a split as an evaluation, and null for a split never evaluated', async () => {
    expect(await call('storedEvaluation', { runId, split: 'val' })).toBeNull();
    // 5 cats (index 0) and 5 dogs: one cat predicted dog.
    const rows = valIds.map((imageId, i) => {
      const label = i < 5 ? 0 : 1;
      const predicted = i === 0 ? 1 : label;
      return { imageId, label, predicted, confidence: 0.9, loss: i === 0 ? 2 : 0.1, probabilities: Float32Array.from(predicted === 0 ? [0.9, 0.1] : [0.1, 0.9]) };
    });
    replacePredictions(ws.db, runId, 'val', rows);
    const evaluation = (await call('storedEvaluation', { runId, split: 'val' })) as RunEvaluation;
    expect(evaluation).toMatchObject({ runId, split: 'val', images: 10, accuracy: 0.9, classNames: ['cat', 'dog'], confusionMatrix: [[4, 1], [0, 5]] });
    expect(evaluation.loss).toBeCloseTo((2 + 9 * 0.1) / 10);
    expect(evaluation.perClass[0]).toMatchObject({ name: 'cat', precision: 1, recall: 0.8, support: 5 });
  });
});

describe('runs service: model export arguments', () => {
  it('refuses a relative folder, an unknown format and an unknown run before any work', async () => {
    await expect(call('exportModel', { runId, folder: 'exports/mine' })).rejects.toMatchObject({ code: 'invalid_argument', field: 'folder' });
    await expect(call('exportModel', { runId, format: 'pt' })).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(call('exportModel', { runId: 9999 })).rejects.toMatchObject({ code: 'not_found' });
  });
});
