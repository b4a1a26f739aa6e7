/**
 * Real photos through the whole studio path: a folder of class subfolders is imported into a fresh
 * workspace the way a user imports it, trained as a studio run with the studio's photo defaults
 * (electron/common/recipe.ts photoRunDefaults; augmentation chosen by image size) for a time budget,
 * and a held-out folder of the same classes is predicted file by file through the predict path.
 * Prints one JSON object: held-out accuracy, wall times and training images per second.
 *
 *   npm run bench:photos -- [--train DIR] [--test DIR] [--minutes M] [--model NAME] [--image-size S]
 *     [--batch-size B] [--resize squash|centre-crop|letterbox] [--augment auto|cifar|photo] [--threads T] [--keep DIR] [--json]
 *
 * Defaults: the cat and dog photos beside the project (../shared/datasets/cats-dogs/{train,test}),
 * 5 minutes. The workspace's own splits are set to 90 % train and 10 % validation: the held-out
 * folder is the test set.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runConfigSchema } from '../electron/common/contract/runs.js';
import { photoRunDefaults } from '../electron/common/recipe.js';
import { EventHub } from '../electron/node/events.js';
import { importImages } from '../electron/node/import/importer.js';
import { packageRoot } from '../electron/node/paths.js';
import { openWorkspaceDb } from '../electron/node/storage/db.js';
import { setSplitRatios } from '../electron/node/storage/splits.js';
import { InferenceClient } from '../electron/node/training/inferenceClient.js';
import { RunManager } from '../electron/node/training/runManager.js';

const photos = path.resolve(packageRoot(), '..', 'shared', 'datasets', 'cats-dogs');
const { values } = parseArgs({
  options: {
    train: { type: 'string', default: path.join(photos, 'train') },
    test: { type: 'string', default: path.join(photos, 'test') },
    minutes: { type: 'string', default: '5' },
    model: { type: 'string', default: photoRunDefaults.model },
    'image-size': { type: 'string', default: String(photoRunDefaults.imageSize) },
    'batch-size': { type: 'string' },
    resize: { type: 'string' },
    augment: { type: 'string' },
    threads: { type: 'string' },
    keep: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const log = (line: string) => process.stderr.write(`${line}\n`);

/** Every file under each class subfolder of `folder`, with its class (the subfolder's name). */
function labelledFiles(folder: string): { file: string; label: string }[] {
  return readdirSync(folder)
    .filter((name) => statSync(path.join(folder, name)).isDirectory())
    .sort()
    .flatMap((label) => readdirSync(path.join(folder, label)).sort().map((name) => ({ file: path.join(folder, label, name), label })));
}

const root = values.keep ? path.resolve(values.keep) : mkdtempSync(path.join(os.tmpdir(), 'photos-bench-'));
const workspace = path.join(root, 'workspace');
const threads = values.threads ? Number(values.threads) : undefined;
const wallStart = performance.now();

const db = openWorkspaceDb(workspace);
setSplitRatios(db, { train: 0.9, val: 0.1, test: 0 });
const t1 = performance.now();
const report = await importImages(db, { folder: path.resolve(values.train), workspace });
const importSeconds = (performance.now() - t1) / 1000;
log(`imported ${report.imported} images in ${importSeconds.toFixed(0)} s`);

const events = new EventHub();
let cacheSeconds = 0;
let cacheStarted: number | null = null;
events.subscribe((event, payload) => {
  if (event === 'run.epoch') {
    const e = payload as { epoch: number; epochs: number; trainAccuracy: number; valAccuracy: number | null; trainSeconds: number };
    log(`epoch ${e.epoch}/${e.epochs}: train acc ${e.trainAccuracy.toFixed(3)}, val acc ${e.valAccuracy?.toFixed(3)} (${e.trainSeconds.toFixed(0)} s)`);
  } else if (event === 'run.status' && (payload as { detail?: string }).detail) {
    log((payload as { detail: string }).detail);
  } else if (event === 'job.progress' && (payload as { kind: string }).kind === 'training-cache') {
    const { done, total } = payload as { done: number; total: number };
    cacheStarted ??= performance.now();
    if (done === total) cacheSeconds = (performance.now() - cacheStarted) / 1000;
  }
});
const manager = new RunManager(db, workspace, events, { backend: 'wasm', ...(threads ? { threads } : {}) });
const config = runConfigSchema.parse({
  model: values.model,
  imageSize: Number(values['image-size']),
  epochs: 1000,
  maxMinutes: Number(values.minutes),
  ...(values['batch-size'] ? { batchSize: Number(values['batch-size']) } : {}),
  ...(values.resize ? { resizePolicy: values.resize } : {}),
  ...(values.augment ? { augmentation: { preset: values.augment } } : {}),
});
const t2 = performance.now();
const run = manager.create(config, 'photo benchmark');
log(`training ${config.model} at ${config.imageSize}x${config.imageSize} for ${values.minutes} min (augmentation: ${run.config.augmentation.preset})`);
const outcome = await manager.waitFor(run.id);
const trainSeconds = (performance.now() - t2) / 1000;
await manager.close();
if (outcome.type !== 'finished') throw new Error(`the run did not finish: ${JSON.stringify(outcome)}`);

const heldOut = labelledFiles(path.resolve(values.test));
const t3 = performance.now();
const inference = new InferenceClient(workspace, { backend: 'wasm', ...(threads ? { threads } : {}) });
const predictions = await inference.predictFiles(run.id, heldOut.map((h) => h.file));
await inference.close();
const predictSeconds = (performance.now() - t3) / 1000;
const correct = predictions.filter((p, i) => p.predicted === heldOut[i]!.label).length;
const unreadable = predictions.filter((p) => p.error !== null).length;
const summary = manager.summary(manager.get(run.id));
db.close();

const result = {
  train: path.resolve(values.train),
  test: path.resolve(values.test),
  model: summary.config.model,
  imageSize: summary.config.imageSize,
  resizePolicy: summary.config.resizePolicy ?? 'squash',
  augmentation: summary.config.augmentation.preset,
  batchSize: summary.config.batchSize,
  budgetMinutes: config.maxMinutes,
  classes: summary.classNames,
  images: summary.images,
  outcome: outcome.status,
  epochsCompleted: summary.epochsDone,
  validationAccuracy: summary.valAccuracy,
  heldOutImages: heldOut.length,
  heldOutUnreadable: unreadable,
  heldOutAccuracy: +(correct / heldOut.length).toFixed(4),
  importSeconds: Math.round(importSeconds),
  cacheSeconds: Math.round(cacheSeconds),
  trainSeconds: Math.round(trainSeconds),
  trainImagesPerSecond: +outcome.trainImagesPerSecond.toFixed(1),
  predictSeconds: Math.round(predictSeconds),
  wallSeconds: Math.round((performance.now() - wallStart) / 1000),
  cpus: os.cpus().length,
  cpu: os.cpus()[0]?.model ?? 'unknown',
};
if (!values.keep) rmSync(root, { recursive: true, force: true });
process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${JSON.stringify(result, null, 2)}\n`);
