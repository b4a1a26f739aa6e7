/**
 * How well "Find label issues" finds labels we broke on purpose, and what accepting its suggestions
 * does to a model trained afterwards.
 *
 *   npm run bench:label-issues -- [--folder DIR] [--noise uniform-5,uniform-10,uniform-20,pairs-10]
 *     [--folds K] [--epochs E] [--image-size S] [--model NAME] [--retrain-epochs E] [--threads N] [--json]
 *
 * For each noise setting, a copy of the folder (default: the CIFAR-10 mini set) gets a known share of
 * its labels flipped, uniformly to another class (uniform-R) or class-conditionally, each class to one
 * fixed other class (pairs-R). The copy is imported as a user would; 20 % of the images (the test split)
 * get their true labels back and the test split is locked (the same images whatever is relabelled), to
 * measure models on. Then:
 * - the job runs over every labelled image; precision and recall of the flagged images (the studio's
 *   default cut: every issue confident learning reports) against the flipped ones;
 * - a run trained on the noisy train split, and one trained after accepting every flagged train image's
 *   suggestion, are both evaluated on the clean test split.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Random } from '../ml/train/random.js';
import { EventHub } from '../electron/node/events.js';
import { importImages } from '../electron/node/import/importer.js';
import { LabelIssueJobs } from '../electron/node/labelling/labelIssueJobs.js';
import { liveClassByName } from '../electron/node/storage/classes.js';
import { openWorkspaceDb } from '../electron/node/storage/db.js';
import { storedLabelIssues } from '../electron/node/storage/labelIssues.js';
import { assignLabels } from '../electron/node/storage/labels.js';
import { lockTestSplit, setSplitRatios } from '../electron/node/storage/splits.js';
import { InferenceClient } from '../electron/node/training/inferenceClient.js';
import { RunManager } from '../electron/node/training/runManager.js';
import { runConfigSchema } from '../electron/common/contract/runs.js';
import { cifarMini } from './studioRuns.js';

const { values } = parseArgs({
  options: {
    folder: { type: 'string' },
    noise: { type: 'string', default: 'uniform-5,uniform-10,uniform-20,pairs-10' },
    folds: { type: 'string', default: '3' },
    epochs: { type: 'string', default: '6' },
    'image-size': { type: 'string', default: '16' },
    model: { type: 'string', default: 'lite-16' },
    'retrain-epochs': { type: 'string', default: '8' },
    'batch-size': { type: 'string', default: '32' },
    threads: { type: 'string' },
    seed: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
  },
});
const folder = path.resolve(values.folder ?? cifarMini);
const log = (line: string) => process.stderr.write(`${line}\n`);
const threads = values.threads ? { threads: Number(values.threads) } : {};
const imageSize = Number(values['image-size']);
const batchSize = Number(values['batch-size']);

interface Noise {
  name: string;
  kind: 'uniform' | 'pairs';
  rate: number;
}

function parseNoise(spec: string): Noise {
  const match = /^(uniform|pairs)-(\d+(?:\.\d+)?)$/.exec(spec.trim());
  if (!match) throw new Error(`--noise: "${spec}" is not uniform-R or pairs-R (R in percent)`);
  return { name: spec.trim(), kind: match[1] as Noise['kind'], rate: Number(match[2]) / 100 };
}

/** Copies the folder with flips; each copy's name starts with its true class, so a flip can be recognised. */
function flippedCopy(source: string, target: string, noise: Noise, seed: number): { flipped: number } {
  const classes = readdirSync(source, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  const random = new Random(seed);
  // pairs: a fixed derangement, class i's flips all go to pair[i].
  const pair = classes.map((_, i) => (i + 1 + Math.floor(random.nextFloat() * (classes.length - 1))) % classes.length);
  let flipped = 0;
  for (const [i, cls] of classes.entries()) {
    const files = readdirSync(path.join(source, cls)).sort();
    const order = files.map((f) => ({ f, key: random.nextFloat() })).sort((a, b) => a.key - b.key).map((x) => x.f);
    const flips = new Set(order.slice(0, Math.round(files.length * noise.rate)));
    for (const file of files) {
      let given = i;
      if (flips.has(file)) {
        given = noise.kind === 'pairs' ? pair[i]! : (i + 1 + Math.floor(random.nextFloat() * (classes.length - 1))) % classes.length;
        flipped++;
      }
      mkdirSync(path.join(target, classes[given]!), { recursive: true });
      cpSync(path.join(source, cls, file), path.join(target, classes[given]!, `${cls}__${file}`));
    }
  }
  return { flipped };
}

const trueClass = (fileName: string) => fileName.slice(0, fileName.indexOf('__'));

async function measure(noise: Noise, seed: number) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'studio-bench-issues-'));
  const copy = path.join(root, 'images');
  flippedCopy(folder, copy, noise, seed);
  const workspace = path.join(root, 'workspace');
  const db = openWorkspaceDb(workspace);
  const events = new EventHub();
  const jobs = new LabelIssueJobs(db, workspace, events, threads);
  const manager = new RunManager(db, workspace, events, threads);
  const inference = new InferenceClient(workspace, threads);
  try {
    setSplitRatios(db, { train: 0.8, val: 0, test: 0.2 });
    await importImages(db, { folder: copy, workspace });
    // The test split stays the same images while labels change (relabelling otherwise rebalances splits per class).
    lockTestSplit(db, true);
    const rows = db.prepare('SELECT i.id, i.file_name, i.split, c.name AS given FROM images i JOIN classes c ON c.id = i.class_id').all() as { id: number; file_name: string; split: string; given: string }[];
    // The test split gets its true labels back: models are measured against the truth.
    const restore = rows.filter((r) => r.split === 'test' && trueClass(r.file_name) !== r.given);
    if (restore.length > 0) {
      assignLabels(db, restore.map((r) => ({ imageId: r.id, classId: liveClassByName(db, trueClass(r.file_name))!.id })), 'bench: true labels on test');
    }
    const flipped = new Set(rows.filter((r) => r.split !== 'test' && trueClass(r.file_name) !== r.given).map((r) => r.id));

    let started = performance.now();
    const job = jobs.start({ folds: Number(values.folds), model: values.model!, imageSize, epochs: Number(values.epochs), batchSize, learningRate: 0.05, seed });
    const outcome = await jobs.waitFor(job.id);
    if (outcome.type !== 'finished' || outcome.status !== 'completed') throw new Error(`${noise.name}: the job ended ${JSON.stringify(outcome)}`);
    const jobSeconds = (performance.now() - started) / 1000;
    const done = jobs.summary(jobs.get(job.id));
    const issues = storedLabelIssues(db, job.id, 1_000_000);
    const hits = issues.filter((i) => flipped.has(i.imageId)).length;
    const rightSuggestion = issues.filter((i) => flipped.has(i.imageId) && done.classNames[i.suggested] === trueClass(i.fileName)).length;

    const runConfig = runConfigSchema.parse({
      model: values.model, imageSize, epochs: Number(values['retrain-epochs']), batchSize, learningRate: 0.05, backend: 'wasm',
      augmentation: { padding: Math.max(1, Math.round(imageSize / 8)), horizontalFlip: true },
    });
    const trainAndTest = async (name: string) => {
      const run = manager.create(runConfig, name);
      const result = await manager.waitFor(run.id);
      if (result.type !== 'finished') throw new Error(`${name}: ${JSON.stringify(result)}`);
      return (await inference.evaluate(run.id, 'test')).accuracy;
    };
    started = performance.now();
    const before = await trainAndTest('noisy labels');
    const accept = issues.filter((i) => rows.find((r) => r.id === i.imageId)!.split !== 'test');
    assignLabels(db, accept.map((i) => ({ imageId: i.imageId, classId: liveClassByName(db, done.classNames[i.suggested]!)!.id })), 'bench: accepted suggestions');
    const after = await trainAndTest('after accepting suggestions');
    const round = (x: number) => Math.round(x * 1e4) / 1e4;
    return {
      noise: noise.name,
      images: rows.length,
      flipped: flipped.size,
      folds: done.config.folds,
      epochs_per_fold: done.config.epochsPerFold,
      out_of_sample_accuracy: round(done.accuracy ?? 0),
      flagged: issues.length,
      precision: round(issues.length ? hits / issues.length : 0),
      recall: round(flipped.size ? hits / flipped.size : 0),
      right_suggestion: round(hits ? rightSuggestion / hits : 0),
      accepted: accept.length,
      test_accuracy_before: round(before),
      test_accuracy_after: round(after),
      job_seconds: Math.round(jobSeconds),
      retrain_seconds: Math.round((performance.now() - started) / 1000),
    };
  } finally {
    await inference.close();
    await manager.close();
    await jobs.close();
    db.close();
    rmSync(root, { recursive: true, force: true });
  }
}

const results = [];
for (const spec of values.noise!.split(',')) {
  const result = await measure(parseNoise(spec), Number(values.seed));
  log(JSON.stringify(result));
  results.push(result);
}
const report = {
  folder: path.basename(folder), model: values.model, image_size: imageSize, folds: Number(values.folds), epochs: Number(values.epochs),
  retrain_epochs: Number(values['retrain-epochs']), results,
};
if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
else for (const r of results) log(`${r.noise}: precision ${r.precision}, recall ${r.recall}; test accuracy ${r.test_accuracy_before} -> ${r.test_accuracy_after}`);
