/**
 * A time budget decides a run's length: the worker measures a few steps, plans the epochs that fit,
 * lays the learning-rate schedule over them (so the run anneals), and re-plans after an epoch at the
 * speed seen.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { runConfigSchema } from '../../common/contract/runs.js';
import { EventHub } from '../events.js';
import { importImages } from '../import/importer.js';
import { openWorkspaceDb, type Db } from '../storage/db.js';
import { runEpochs } from '../storage/runs.js';
import { RunManager } from './runManager.js';

vi.setConfig({ testTimeout: 300_000, hookTimeout: 120_000 });

const CIFAR = path.resolve(import.meta.dirname, '../../../../shared/datasets/cifar10-mini');
let workspace: string;
let db: Db;

beforeAll(async () => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'studio-budget-'));
  db = openWorkspaceDb(workspace);
  await importImages(db, { folder: CIFAR, workspace });
});
afterAll(() => {
  db?.close();
  rmSync(workspace, { recursive: true, force: true });
});

it('fits the epochs to the budget and anneals the learning rate within it', async () => {
  const details: string[] = [];
  const hub = new EventHub();
  hub.subscribe((event, payload) => {
    const detail = (payload as { detail?: string }).detail;
    if (event === 'run.status' && detail) details.push(detail);
  });
  const manager = new RunManager(db, workspace, hub, { backend: 'wasm' });
  const config = runConfigSchema.parse({ model: 'lite-16', imageSize: 8, epochs: 500, batchSize: 100, learningRate: 0.1, schedule: 'cosine', maxMinutes: 0.75 });
  const run = manager.create(config, 'budget');
  const outcome = await manager.waitFor(run.id);
  expect(outcome.type).toBe('finished');
  const planned = manager.get(run.id).config.epochs;
  expect(planned).toBeGreaterThan(1);
  expect(planned).toBeLessThan(500);
  expect(details.some((d) => /time budget 0.75 min: \d+ of 500 epochs fit/.test(d))).toBe(true);
  // The schedule ran over the planned epochs, not the 500 asked for: the last epochs ran at a small rate.
  const epochs = runEpochs(db, run.id);
  expect(epochs.length).toBeGreaterThanOrEqual(planned - 1);
  expect(epochs.at(-1)!.learningRate).toBeLessThan(0.1 * 0.3);
  await manager.close();
});
