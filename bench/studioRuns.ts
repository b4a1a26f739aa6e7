/**
 * Studio runs for the accuracy benchmarks (bench:parity, bench:ablation): a folder imported into a
 * fresh workspace as a user imports it, with 80 % train and 20 % test splits (nothing is tuned on a
 * validation split), and runs trained through the studio's own path (run manager, training worker,
 * label snapshot) then evaluated on the test split.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runConfigSchema, type RunConfigInput } from '../electron/common/contract/runs.js';
import { EventHub } from '../electron/node/events.js';
import { importImages } from '../electron/node/import/importer.js';
import { openWorkspaceDb, type Db } from '../electron/node/storage/db.js';
import { setSplitRatios } from '../electron/node/storage/splits.js';
import { InferenceClient } from '../electron/node/training/inferenceClient.js';
import { RunManager } from '../electron/node/training/runManager.js';

export const cifarMini = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../shared/datasets/cifar10-mini');

/** The recipe of the measurements: SGD Nesterov 0.9, lr 0.1 cosine with 10 % warm-up, batch 64, pad-4 crop and flip. */
export const defaultRecipe = {
  batchSize: 64, learningRate: 0.1, schedule: 'cosine', warmupFraction: 0.1, augmentation: { padding: 4, horizontalFlip: true }, backend: 'wasm',
} as const;

export interface StudioBench {
  root: string;
  workspace: string;
  db: Db;
  images: number;
  manager: RunManager;
  inference: InferenceClient;
  close(): Promise<void>;
}

export async function openStudioBench(folder: string, options: { threads?: number; keep?: string } = {}): Promise<StudioBench> {
  const root = options.keep ? path.resolve(options.keep) : mkdtempSync(path.join(os.tmpdir(), 'studio-bench-'));
  const workspace = path.join(root, 'workspace');
  const db = openWorkspaceDb(workspace);
  const imported = await importImages(db, { folder: path.resolve(folder), workspace });
  setSplitRatios(db, { train: 0.8, val: 0, test: 0.2 });
  const threads = options.threads ? { threads: options.threads } : {};
  const manager = new RunManager(db, workspace, new EventHub(), threads);
  const inference = new InferenceClient(workspace, threads);
  return {
    root, workspace, db, images: imported.imported, manager, inference,
    async close() {
      await inference.close();
      await manager.close();
      db.close();
      if (!options.keep) rmSync(root, { recursive: true, force: true });
    },
  };
}

export interface StudioResult {
  runId: number;
  testAccuracy: number;
  seconds: number;
}

/** Trains one run and evaluates it on the test split. */
export async function trainAndTest(bench: StudioBench, input: RunConfigInput, name: string): Promise<StudioResult> {
  const started = performance.now();
  const run = bench.manager.create(runConfigSchema.parse(input), name);
  const outcome = await bench.manager.waitFor(run.id);
  if (outcome.type !== 'finished') throw new Error(`${name}: the run ended ${JSON.stringify(outcome)}`);
  const evaluation = await bench.inference.evaluate(run.id, 'test');
  return { runId: run.id, testAccuracy: evaluation.accuracy, seconds: Math.round((performance.now() - started) / 100) / 10 };
}

export function summary(accuracies: number[]): { mean: number; sd: number; se: number } {
  const n = accuracies.length;
  const mean = accuracies.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(accuracies.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  const round = (x: number) => Math.round(x * 1e4) / 1e4;
  return { mean: round(mean), sd: round(sd), se: round(sd / Math.sqrt(n)) };
}
