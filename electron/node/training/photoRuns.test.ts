/**
 * A run on real photos of mixed shapes (cats and dogs, portrait and landscape), end to end in a real
 * worker: letterboxed input, the photo augmentation chosen by image size, a batch too large for the
 * backend's memory found and lowered before the first step, then evaluation, predictions and masks
 * under the same resize policy. lite-16 at 16x16 keeps it short on two cores.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runConfigSchema } from '../../common/contract/runs.js';
import { EventHub } from '../events.js';
import { importImages } from '../import/importer.js';
import { openWorkspaceDb, type Db } from '../storage/db.js';
import { getRunRow, runImages, splitPredictions } from '../storage/runs.js';
import { statement } from '../storage/statements.js';
import { InferenceClient } from './inferenceClient.js';
import { RunManager } from './runManager.js';

vi.setConfig({ testTimeout: 300_000, hookTimeout: 180_000 });

const CATS_DOGS = path.resolve(import.meta.dirname, '../../../../shared/datasets/cats-dogs');
/** Small enough that a batch of 128 at 16x16 does not fit (ml/train/batchFit.test.ts), large enough for a few. */
const MEMORY_LIMIT = 40 * 2 ** 20;

let root: string;
let workspace: string;
let db: Db;
let inference: InferenceClient;

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'studio-photo-runs-'));
  const folder = path.join(root, 'photos');
  for (const cls of ['cat', 'dog']) {
    mkdirSync(path.join(folder, cls), { recursive: true });
    for (const file of readdirSync(path.join(CATS_DOGS, 'train', cls)).sort().slice(0, 90)) cpSync(path.join(CATS_DOGS, 'train', cls, file), path.join(folder, cls, file));
  }
  workspace = path.join(root, 'ws');
  db = openWorkspaceDb(workspace);
  const report = await importImages(db, { folder, workspace });
  expect(report.imported).toBe(180);
  inference = new InferenceClient(workspace, { backend: 'wasm' });
});

afterAll(async () => {
  await inference?.close();
  db?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('a letterboxed run on photos of mixed shapes', () => {
  let runId: number;

  it('gets the photo augmentation, lowers a batch that does not fit before training, and says so', async () => {
    const hub = new EventHub();
    const details: string[] = [];
    hub.subscribe((event, payload) => {
      const detail = (payload as { detail?: string }).detail;
      if (event === 'run.status' && detail) details.push(detail);
    });
    const manager = new RunManager(db, workspace, hub, { backend: 'wasm', threads: 1, wasmMemoryLimitBytes: MEMORY_LIMIT });
    const config = runConfigSchema.parse({ model: 'lite-16', imageSize: 16, epochs: 1, batchSize: 128, learningRate: 0.05, resizePolicy: 'letterbox' });
    const created = manager.create(config, 'photos');
    runId = created.id;
    expect(created.config.augmentation).toMatchObject({ preset: 'photo', padding: 0, randomResizedCrop: { scale: [0.08, 1] }, colourJitter: { brightness: 0.2 } });
    expect(created.config.resizePolicy).toBe('letterbox');

    const outcome = await manager.waitFor(runId);
    expect(outcome).toMatchObject({ type: 'finished', status: 'completed', epochsDone: 1 });
    const lowered = details.map((d) => /a batch of 128 does not fit in the WASM backend's memory .*; training with (\d+), the largest that fits/.exec(d)).find(Boolean);
    expect(lowered, details.join('\n')).toBeTruthy();
    const fits = Number(lowered![1]);
    expect(fits).toBeGreaterThan(1);
    expect(fits).toBeLessThan(128);
    expect(getRunRow(db, runId)!.config.batchSize).toBe(fits);

    // The cache holds letterboxed squares for the run's images; nothing else was decoded at this size.
    const used = [...runImages(db, runId, 'train'), ...runImages(db, runId, 'val')].length;
    const cached = statement<[], { policy: string; n: number }>(db, 'SELECT policy, count(*) AS n FROM training_cache WHERE size = 16 GROUP BY policy').all();
    expect(cached).toEqual([{ policy: 'letterbox', n: used }]);
  });

  it("predicts a photo's file exactly as the run evaluated it: the same letterboxed pixels", async () => {
    await inference.evaluate(runId, 'test');
    const stored = splitPredictions(db, runId, 'test');
    expect(stored.length).toBeGreaterThan(5);
    const fileOf = statement<[number], { path: string }>(db, 'SELECT path FROM image_sources WHERE image_id = ?');
    const files = stored.map((p) => fileOf.get(p.imageId)!.path);
    const predicted = await inference.predictFiles(runId, files);
    const classNames = getRunRow(db, runId)!.classNames;
    predicted.forEach((p, i) => {
      expect(p.error).toBeNull();
      expect(p.predicted).toBe(classNames[stored[i]!.predicted]);
      classNames.forEach((name, c) => expect(Math.abs(p.probabilities![name]! - stored[i]!.probabilities[c]!)).toBeLessThan(1e-5));
    });
    // Test images were evaluated from the letterbox cache too, never from squashed pixels.
    const squashed = statement<[], { n: number }>(db, "SELECT count(*) AS n FROM training_cache WHERE size = 16 AND policy = 'squash'").get()!;
    expect(squashed.n).toBe(0);
  });

  it('draws the masks of a portrait photo over the square the model saw, not over the photo', async () => {
    const portrait = statement<[], { id: number; width: number; height: number }>(
      db,
      'SELECT id, width, height FROM images WHERE height > width * 1.2 ORDER BY id LIMIT 1',
    ).get()!;
    expect(portrait).toBeDefined();
    const result = await inference.masks(runId, portrait.id);
    for (const mask of result.masks) {
      // Letterbox: the model's square spans the photo's height and reaches past its sides.
      expect(mask.width).toBe(mask.height);
      expect(mask.height).toBe(Math.min(portrait.height, 1024));
    }
  });
});
