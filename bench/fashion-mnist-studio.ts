/**
 * Fashion-MNIST through the whole studio path: the IDX files are written as a class-folder tree of
 * PNGs, imported into a fresh workspace like a user's folder, trained as a studio run (worker thread,
 * label snapshot, checkpoints), and evaluated on the workspace's test split. Prints one JSON object.
 *
 *   npm run bench:fashion-mnist-studio -- --model lite-32 --epochs 4 [--batch-size 128] [--lr 0.1]
 *     [--max-minutes 30] [--threads 2] [--keep DIR] [--json]
 *
 * The studio assigns splits itself (stratified, from content hashes: 80 % train, 10 % val, 10 % test of
 * all 70,000 images), so its test split is 7,000 images drawn from both of the original files.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runConfigSchema } from '../electron/common/contract/runs.js';
import { EventHub } from '../electron/node/events.js';
import { importImages } from '../electron/node/import/importer.js';
import { openWorkspaceDb } from '../electron/node/storage/db.js';
import { InferenceClient } from '../electron/node/training/inferenceClient.js';
import { RunManager } from '../electron/node/training/runManager.js';
import { writeFashionMnistFolders } from '../scripts/fashion-mnist-folders.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'lite-32' },
    epochs: { type: 'string', default: '4' },
    'batch-size': { type: 'string', default: '128' },
    lr: { type: 'string', default: '0.1' },
    'max-minutes': { type: 'string', default: '30' },
    threads: { type: 'string' },
    keep: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const log = (line: string) => process.stderr.write(`${line}\n`);
const root = values.keep ? path.resolve(values.keep) : mkdtempSync(path.join(os.tmpdir(), 'fashion-studio-'));
const folder = path.join(root, 'images');
const workspace = path.join(root, 'workspace');

const t0 = performance.now();
if (!existsSync(path.join(folder, 'bag'))) {
  log(`writing PNGs to ${folder}`);
  await writeFashionMnistFolders({ out: folder, splits: ['train', 'test'] });
}
const writeSeconds = (performance.now() - t0) / 1000;

const db = openWorkspaceDb(workspace);
const t1 = performance.now();
const report = await importImages(db, { folder, workspace });
const importSeconds = (performance.now() - t1) / 1000;
log(`imported ${report.imported} images in ${importSeconds.toFixed(0)} s`);

const events = new EventHub();
events.subscribe((event, payload) => {
  if (event === 'run.epoch') {
    const e = payload as { epoch: number; epochs: number; trainAccuracy: number; valAccuracy: number | null; trainSeconds: number };
    log(`epoch ${e.epoch}/${e.epochs}: train acc ${e.trainAccuracy.toFixed(4)}, val acc ${e.valAccuracy?.toFixed(4)} (${e.trainSeconds.toFixed(0)} s)`);
  }
});
const threads = values.threads ? Number(values.threads) : undefined;
const manager = new RunManager(db, workspace, events, { backend: 'wasm', ...(threads ? { threads } : {}) });
const config = runConfigSchema.parse({
  model: values.model,
  imageSize: 28,
  epochs: Number(values.epochs),
  batchSize: Number(values['batch-size']),
  learningRate: Number(values.lr),
  augmentation: { padding: 2, horizontalFlip: true },
  maxMinutes: Number(values['max-minutes']),
});
const t2 = performance.now();
const run = manager.create(config, 'fashion-mnist');
const outcome = await manager.waitFor(run.id);
const trainSeconds = (performance.now() - t2) / 1000;
await manager.close();

const inference = new InferenceClient(workspace, { backend: 'wasm', ...(threads ? { threads } : {}) });
const evaluation = await inference.evaluate(run.id, 'test');
await inference.close();
const summary = manager.summary(manager.get(run.id));
db.close();
const result = {
  path: 'studio',
  dataset: 'fashion-mnist',
  model: config.model,
  outcome: outcome.type === 'finished' ? outcome.status : outcome.type,
  epochsCompleted: summary.epochsDone,
  epochsPlanned: config.epochs,
  images: summary.images,
  writeSeconds: Math.round(writeSeconds),
  importSeconds: Math.round(importSeconds),
  trainSeconds: Math.round(trainSeconds),
  trainMinutes: +(trainSeconds / 60).toFixed(1),
  trainImagesPerSecond: outcome.type === 'finished' ? +outcome.trainImagesPerSecond.toFixed(1) : null,
  testImages: evaluation.images,
  testAccuracy: +evaluation.accuracy.toFixed(4),
};
if (!values.keep) rmSync(root, { recursive: true, force: true });
process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${JSON.stringify(result, null, 2)}\n`);
