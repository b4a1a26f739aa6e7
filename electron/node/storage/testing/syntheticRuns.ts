/**
 * Workspaces with finished runs and no training: image rows with a tiny thumbnail shared per class,
 * completed runs with their snapshot, per-epoch metrics and one stored prediction per validation
 * image, written straight through the storage modules. For benchmarks and UI tests of the views that
 * read runs (Inspect, Runs), where what matters is the shape and size of the data, not a real model.
 */
import sharp from 'sharp';
import { runConfigSchema } from '../../../common/contract/runs.js';
import { ensureClass } from '../classes.js';
import { openWorkspaceDb, type Db } from '../db.js';
import { insertImage } from '../images.js';
import { createRunWithSnapshot, recordEpoch, replacePredictions, snapshotClasses, updateRun, type StoredPrediction } from '../runs.js';
import { insertThumbnail } from '../thumbnails.js';

export interface SyntheticRun {
  name: string;
  /** Share of validation images predicted right. */
  accuracy: number;
  seed: number;
  epochs?: number;
}

export interface SyntheticRunsOptions {
  valImages: number;
  classes: number;
  trainPerClass?: number;
  runs: SyntheticRun[];
}

/** A deterministic pseudo-random stream (mulberry32): the same seed gives the same predictions. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function insertImages(db: Db, options: SyntheticRunsOptions): Promise<void> {
  const k = options.classes;
  const names = Array.from({ length: k }, (_, c) => `class_${c}`);
  const thumbnails = await Promise.all(
    names.map((_, c) => sharp({ create: { width: 16, height: 16, channels: 3, background: `hsl(${Math.round((360 * c) / k)}, 55%, 55%)` } }).png().toBuffer()),
  );
  const total = options.valImages + (options.trainPerClass ?? 20) * k;
  db.transaction(() => {
    const ids = names.map((name) => ensureClass(db, name));
    for (let i = 0; i < total; i++) {
      const c = i % k;
      const file = `synth_${String(i).padStart(6, '0')}.png`;
      const id = insertImage(db, {
        contentHash: `synthetic-run-image-${i}`,
        sourcePath: `/synthetic/${names[c]}/${file}`,
        fileName: file,
        format: 'png',
        width: 16,
        height: 16,
        channels: 3,
        hasAlpha: false,
        bytes: thumbnails[c]!.length,
        importedAt: 1_700_000_000_000 + i,
        classId: ids[c]!,
        split: i < options.valImages ? 'val' : 'train',
      })!;
      insertThumbnail(db, { image_id: id, mime: 'image/png', width: 16, height: 16, data: thumbnails[c]! });
    }
  })();
}

function insertRun(db: Db, run: SyntheticRun, k: number): number {
  const epochs = run.epochs ?? 3;
  const config = runConfigSchema.parse({ model: 'lite-16', imageSize: 16, epochs, batchSize: 50 });
  const runId = createRunWithSnapshot(db, run.name, config, snapshotClasses(db));
  const snapshot = db.prepare('SELECT image_id AS imageId, class_index AS label FROM run_images WHERE run_id = ? AND split = ?').all(runId, 'val') as { imageId: number; label: number }[];
  const next = random(run.seed);
  const predictions: StoredPrediction[] = snapshot.map(({ imageId, label }) => {
    const predicted = next() < run.accuracy ? label : (label + 1 + Math.floor(next() * (k - 1))) % k;
    const confidence = 0.3 + 0.7 * next();
    const probabilities = new Float32Array(k).fill((1 - confidence) / (k - 1));
    probabilities[predicted] = confidence;
    return { imageId, label, predicted, confidence, loss: -Math.log(probabilities[label]!), probabilities };
  });
  replacePredictions(db, runId, 'val', predictions);
  for (let e = 1; e <= epochs; e++) {
    const progress = e / epochs;
    recordEpoch(db, runId, {
      epoch: e, step: e * 10, learningRate: 0.1 * (1 - progress),
      trainLoss: 2.3 - 1.2 * progress * run.accuracy, trainAccuracy: run.accuracy * progress * 1.05,
      valLoss: 2.3 - progress * run.accuracy, valAccuracy: run.accuracy * progress,
      trainSeconds: 10 * e, imagesPerSecond: 200, confusion: null,
    });
  }
  updateRun(db, runId, { status: 'completed', backend: 'wasm', startedAt: Date.now(), finishedAt: Date.now() });
  return runId;
}

/** Fills `workspace` (created if needed); returns the run ids in the order given. */
export async function synthesiseRuns(workspace: string, options: SyntheticRunsOptions): Promise<number[]> {
  const db = openWorkspaceDb(workspace);
  try {
    await insertImages(db, options);
    return options.runs.map((run) => insertRun(db, run, options.classes));
  } finally {
    db.close();
  }
}
