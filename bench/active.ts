/**
 * Accuracy against the number of labels used, for the studio's "Label next" order (margin, and entropy
 * to choose between them) and for random order, on the same folder, budgets and training recipe.
 *
 *   npm run bench:active -- [--folder DIR] [--budgets 50,100,200,400] [--epochs E] [--image-size S]
 *     [--model NAME] [--screen N] [--threads N] [--json]
 *
 * The folder (default: the CIFAR-10 mini set) is imported as a user would, with 80 % of the images as
 * the unlabelled pool and 20 % as a test split. Every order starts from the same random first budget;
 * at each budget a model is trained from scratch on the labels so far and measured on the test split,
 * then predicts the rest of the pool, and the next labels are the first images of the order (the
 * studio's order: most uncertain first, at most a fair share plus one per predicted class per screen).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { labelNextOrder, type UncertaintyMeasure } from '../ml/analysis/activeLearning.js';
import { initBackend } from '../ml/engine/backends.js';
import { buildInferenceModel } from '../ml/infer/inferenceModel.js';
import { InMemoryDataSource } from '../ml/train/dataSource.js';
import { predictSource } from '../ml/train/evaluate.js';
import { Random } from '../ml/train/random.js';
import { Trainer } from '../ml/train/trainer.js';
import { runConfigSchema } from '../electron/common/contract/runs.js';
import { importImages } from '../electron/node/import/importer.js';
import { openWorkspaceDb } from '../electron/node/storage/db.js';
import { setSplitRatios } from '../electron/node/storage/splits.js';
import { cachedBatch } from '../electron/node/storage/trainingCache.js';
import { ensureTrainingCache } from '../electron/node/training/cache.js';
import { convertChannels } from '../electron/node/training/pixels.js';
import { initialRunModel, trainingConfigOf } from '../electron/node/training/trainTask.js';
import { cifarMini } from './studioRuns.js';

const { values } = parseArgs({
  options: {
    folder: { type: 'string' },
    budgets: { type: 'string', default: '50,100,200,400' },
    epochs: { type: 'string', default: '15' },
    'image-size': { type: 'string', default: '16' },
    model: { type: 'string', default: 'lite-16' },
    screen: { type: 'string', default: '24' },
    orders: { type: 'string', default: 'margin,entropy,random' },
    threads: { type: 'string' },
    seed: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
  },
});
const folder = path.resolve(values.folder ?? cifarMini);
const log = (line: string) => process.stderr.write(`${line}\n`);
const size = Number(values['image-size']);
const budgets = values.budgets!.split(',').map(Number);
const seed = Number(values.seed);
await initBackend('wasm', values.threads ? { threads: Number(values.threads) } : {});

const root = mkdtempSync(path.join(os.tmpdir(), 'studio-bench-active-'));
const workspace = path.join(root, 'workspace');
const db = openWorkspaceDb(workspace);
setSplitRatios(db, { train: 0.8, val: 0, test: 0.2 });
await importImages(db, { folder, workspace });
const rows = db.prepare('SELECT i.id, i.split, i.channels, c.name AS cls FROM images i JOIN classes c ON c.id = i.class_id ORDER BY i.id').all() as { id: number; split: string; channels: number; cls: string }[];
const classNames = [...new Set(rows.map((r) => r.cls))].sort();
const k = classNames.length;
const channels: 1 | 3 = rows.some((r) => r.channels >= 3) ? 3 : 1;
await ensureTrainingCache(db, rows.map((r) => r.id), size, 'squash');
const perImage = size * size * channels;
const pixels = new Uint8Array(rows.length * perImage);
cachedBatch(db, rows.map((r) => r.id), size).forEach((c, i) => convertChannels(c.data, c.channels, channels, pixels, i * perImage));
db.close();
const all = new InMemoryDataSource({ images: pixels, labels: rows.map((r) => classNames.indexOf(r.cls)), imageShape: [size, size, channels], numClasses: k });
const pool = rows.flatMap((r, i) => (r.split === 'test' ? [] : [i]));
const test = all.subset(rows.flatMap((r, i) => (r.split === 'test' ? [i] : [])));
log(`${rows.length} images, ${pool.length} in the pool, ${test.size} to test, ${k} classes, ${size}x${size}x${channels}`);

const runConfig = runConfigSchema.parse({
  model: values.model, imageSize: size, epochs: Number(values.epochs), batchSize: 32, learningRate: 0.05,
  augmentation: { padding: Math.max(1, Math.round(size / 8)), horizontalFlip: true },
});

/** Trains from scratch on `labelled`; returns the test accuracy and the pool's probabilities (for `rest`). */
async function trainRound(labelled: number[], rest: number[]) {
  const model = initialRunModel(runConfig.model as 'lite-16', runConfig, channels, k);
  const batchSize = Math.min(32, Math.max(8, Math.floor(labelled.length / 4)));
  const trainer = new Trainer({ model, train: all.subset(labelled), config: { ...trainingConfigOf(runConfig), batchSize } });
  await trainer.run();
  trainer.dispose();
  const inference = await buildInferenceModel(model);
  try {
    const options = { normalization: trainer.normalization!, batchSize: 128 };
    const tested = await predictSource(inference, test, options);
    let correct = 0;
    tested.predicted.forEach((p, i) => (correct += p === tested.labels[i] ? 1 : 0));
    const probabilities = rest.length > 0 ? (await predictSource(inference, all.subset(rest), options)).probabilities : new Float32Array(0);
    return { accuracy: correct / test.size, probabilities };
  } finally {
    inference.dispose();
    model.dispose();
  }
}

const random = new Random(seed);
const shuffledPool = pool.map((i) => ({ i, key: random.nextFloat() })).sort((a, b) => a.key - b.key).map((x) => x.i);
const results: { order: string; curve: { labels: number; accuracy: number }[] }[] = [];
for (const order of values.orders!.split(',') as (UncertaintyMeasure | 'random')[]) {
  const started = performance.now();
  let labelled = shuffledPool.slice(0, budgets[0]);
  const curve: { labels: number; accuracy: number }[] = [];
  for (const [b, budget] of budgets.entries()) {
    const labelledSet = new Set(labelled);
    const rest = pool.filter((i) => !labelledSet.has(i));
    const next = budgets[b + 1];
    const round = await trainRound(labelled, order === 'random' || next === undefined ? [] : rest);
    curve.push({ labels: budget, accuracy: Math.round(round.accuracy * 1e4) / 1e4 });
    log(`${order}: ${budget} labels -> test accuracy ${round.accuracy.toFixed(4)}`);
    if (next === undefined) break;
    const chosen = order === 'random'
      ? shuffledPool.filter((i) => !labelledSet.has(i)).slice(0, next - budget)
      : labelNextOrder(round.probabilities, k, { measure: order, screenSize: Number(values.screen) }).slice(0, next - budget).map((p) => rest[p]!);
    labelled = labelled.concat(chosen);
  }
  results.push({ order, curve });
  log(`${order}: ${Math.round((performance.now() - started) / 1000)} s`);
}
rmSync(root, { recursive: true, force: true });

const randomFinal = results.find((r) => r.order === 'random')?.curve.at(-1)?.accuracy ?? null;
const report = {
  folder: path.basename(folder), model: values.model, image_size: size, epochs: Number(values.epochs), budgets, results,
  labels_to_reach_random_final: Object.fromEntries(results.map((r) => [r.order, randomFinal === null ? null : (r.curve.find((p) => p.accuracy >= randomFinal)?.labels ?? null)])),
};
if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
else for (const r of results) log(`${r.order}: ${r.curve.map((p) => `${p.labels}:${p.accuracy}`).join(' ')}`);
