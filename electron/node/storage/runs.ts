/** Runs, their label snapshots, per-epoch metrics, predictions and attention-mask frames. */
import type { EpochMetrics, RunConfig, RunStatus } from '../../common/contract/runs.js';
import type { Db } from './db.js';
import { statement } from './statements.js';

export type Split = 'train' | 'val' | 'test';

export interface RunRow {
  id: number;
  name: string;
  createdAt: number;
  status: RunStatus;
  config: RunConfig;
  classNames: string[];
  backend: string | null;
  startedAt: number | null;
  finishedAt: number | null;
  epochsDone: number;
  error: string | null;
  /** The owner (storage/owners.ts) training it or holding it in its queue; null when none does. */
  ownerId: string | null;
}

interface RawRun {
  id: number;
  name: string;
  created_at: number;
  status: RunStatus;
  config: string;
  class_names: string;
  backend: string | null;
  started_at: number | null;
  finished_at: number | null;
  epochs_done: number;
  error: string | null;
  owner_id: string | null;
}

function toRun(raw: RawRun): RunRow {
  return {
    id: raw.id,
    name: raw.name,
    createdAt: raw.created_at,
    status: raw.status,
    config: JSON.parse(raw.config) as RunConfig,
    classNames: JSON.parse(raw.class_names) as string[],
    backend: raw.backend,
    startedAt: raw.started_at,
    finishedAt: raw.finished_at,
    epochsDone: raw.epochs_done,
    error: raw.error,
    ownerId: raw.owner_id,
  };
}

export interface SnapshotClass {
  id: number;
  name: string;
}

/**
 * The classes a new run trains on: live classes with at least one usable ('ok') image, by id. Their
 * position in this list is the class index the network predicts.
 */
export function snapshotClasses(db: Db): SnapshotClass[] {
  return statement<[], SnapshotClass>(
    db,
    `SELECT c.id, c.name FROM classes c
     WHERE c.deleted_at IS NULL AND EXISTS (SELECT 1 FROM images i WHERE i.class_id = c.id AND i.state = 'ok')
     ORDER BY c.id`,
  ).all();
}

/**
 * The median shorter side, in pixels, of the images a new run's snapshot would take (labelled 'ok'
 * in a live class); null when there are none. Decides photo or CIFAR-like augmentation.
 */
export function snapshotMedianShortSide(db: Db): number | null {
  const sides = statement<[], { side: number }>(
    db,
    `SELECT min(i.width, i.height) AS side FROM images i JOIN classes c ON c.id = i.class_id
     WHERE i.state = 'ok' AND c.deleted_at IS NULL ORDER BY side`,
  ).all();
  return sides.length === 0 ? null : sides[Math.floor(sides.length / 2)]!.side;
}

/**
 * Creates the run row and freezes its snapshot in one transaction: the images labelled 'ok' with one of
 * `classes`, each with its class index and current split. Unsure, excluded and unlabelled images stay out.
 */
export function createRunWithSnapshot(db: Db, name: string, config: RunConfig, classes: SnapshotClass[], ownerId: string | null = null): number {
  return db.transaction(() => {
    const info = statement(db, `INSERT INTO runs(name, created_at, status, config, class_names, owner_id) VALUES (?, ?, 'queued', ?, ?, ?)`).run(
      name,
      Date.now(),
      JSON.stringify(config),
      JSON.stringify(classes.map((c) => c.name)),
      ownerId,
    );
    const runId = Number(info.lastInsertRowid);
    const indexOf = JSON.stringify(classes.map((c, index) => ({ id: c.id, index })));
    statement(
      db,
      `INSERT INTO run_images(run_id, image_id, class_index, split)
       SELECT ?, i.id, m.value ->> 'index', i.split
       FROM images i JOIN json_each(?) m ON i.class_id = m.value ->> 'id'
       WHERE i.state = 'ok'`,
    ).run(runId, indexOf);
    return runId;
  })();
}

export function getRunRow(db: Db, runId: number): RunRow | undefined {
  const raw = statement<[number], RawRun>(db, 'SELECT * FROM runs WHERE id = ?').get(runId);
  return raw ? toRun(raw) : undefined;
}

export function listRunRows(db: Db): RunRow[] {
  return statement<[], RawRun>(db, 'SELECT * FROM runs ORDER BY id DESC').all().map(toRun);
}

export function runsWithStatus(db: Db, statuses: RunStatus[]): RunRow[] {
  return statement<[string], RawRun>(db, 'SELECT * FROM runs WHERE status IN (SELECT value FROM json_each(?)) ORDER BY id')
    .all(JSON.stringify(statuses))
    .map(toRun);
}

/**
 * Updates a run's fields. With `heldBy`, only while that owner holds the run: returns false (and
 * changes nothing) when it does not, so a process that lost a run never writes over its new state.
 */
export function updateRun(
  db: Db,
  runId: number,
  fields: Partial<{
    status: RunStatus; backend: string; startedAt: number; finishedAt: number | null; epochsDone: number; error: string | null; ownerId: string | null;
  }>,
  heldBy?: string,
): boolean {
  const columns: Record<string, string> = {
    status: 'status',
    backend: 'backend',
    startedAt: 'started_at',
    finishedAt: 'finished_at',
    epochsDone: 'epochs_done',
    error: 'error',
    ownerId: 'owner_id',
  };
  const keys = Object.keys(fields).filter((k) => k in columns);
  if (keys.length === 0) return true;
  const sql = `UPDATE runs SET ${keys.map((k) => `${columns[k]} = @${k}`).join(', ')} WHERE id = @runId${heldBy === undefined ? '' : ' AND owner_id = @heldBy'}`;
  return statement(db, sql).run({ ...fields, runId, ...(heldBy === undefined ? {} : { heldBy }) }).changes > 0;
}

/**
 * The owner lets go of a run whose worker has ended: a run that did not reach completed, stopped or
 * failed is interrupted (resumable from its last checkpoint).
 */
export function releaseRun(db: Db, runId: number, ownerId: string): void {
  statement(
    db,
    `UPDATE runs SET owner_id = NULL,
       status = CASE WHEN status IN ('queued', 'running', 'paused') THEN 'interrupted' ELSE status END
     WHERE id = ? AND owner_id = ?`,
  ).run(runId, ownerId);
}

export function runSplitCounts(db: Db, runId: number): Record<Split, number> {
  const counts: Record<Split, number> = { train: 0, val: 0, test: 0 };
  for (const row of statement<[number], { split: Split; n: number }>(
    db,
    'SELECT split, count(*) AS n FROM run_images WHERE run_id = ? GROUP BY split',
  ).all(runId)) {
    counts[row.split] = row.n;
  }
  return counts;
}

export interface RunImage {
  imageId: number;
  classIndex: number;
}

export function runImages(db: Db, runId: number, split: Split): RunImage[] {
  return statement<[number, Split], RunImage>(
    db,
    'SELECT image_id AS imageId, class_index AS classIndex FROM run_images WHERE run_id = ? AND split = ? ORDER BY image_id',
  ).all(runId, split);
}

/** Whether any image of the snapshot has colour (decides the default input channels). */
export function snapshotHasColour(db: Db, runId: number): boolean {
  return (
    statement<[number], { n: number }>(
      db,
      'SELECT count(*) AS n FROM run_images r JOIN images i ON i.id = r.image_id WHERE r.run_id = ? AND i.channels >= 3',
    ).get(runId)!.n > 0
  );
}

export function recordEpoch(db: Db, runId: number, metrics: EpochMetrics): void {
  db.transaction(() => {
    statement(
      db,
      `INSERT OR REPLACE INTO run_epochs(run_id, epoch, step, learning_rate, train_loss, train_accuracy, val_loss, val_accuracy,
         train_seconds, images_per_second, confusion, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      runId,
      metrics.epoch,
      metrics.step,
      metrics.learningRate,
      metrics.trainLoss,
      metrics.trainAccuracy,
      metrics.valLoss,
      metrics.valAccuracy,
      metrics.trainSeconds,
      metrics.imagesPerSecond,
      metrics.confusion ? JSON.stringify(metrics.confusion) : null,
      Date.now(),
    );
    statement(db, 'UPDATE runs SET epochs_done = max(epochs_done, ?) WHERE id = ?').run(metrics.epoch, runId);
  })();
}

export function runEpochs(db: Db, runId: number): EpochMetrics[] {
  return statement<[number], Record<string, number | string | null>>(db, 'SELECT * FROM run_epochs WHERE run_id = ? ORDER BY epoch')
    .all(runId)
    .map((r) => ({
      epoch: r.epoch as number,
      step: r.step as number,
      learningRate: r.learning_rate as number,
      trainLoss: r.train_loss as number,
      trainAccuracy: r.train_accuracy as number,
      valLoss: r.val_loss as number | null,
      valAccuracy: r.val_accuracy as number | null,
      trainSeconds: r.train_seconds as number,
      imagesPerSecond: r.images_per_second as number,
      confusion: r.confusion ? (JSON.parse(r.confusion as string) as number[][]) : null,
    }));
}

export interface StoredPrediction {
  imageId: number;
  label: number;
  predicted: number;
  confidence: number;
  loss: number;
  probabilities: Float32Array;
}

/** Replaces a split's predictions in one transaction: a crash keeps the previous evaluation whole. */
export function replacePredictions(db: Db, runId: number, split: Split, rows: StoredPrediction[]): void {
  db.transaction(() => {
    statement(db, 'DELETE FROM predictions WHERE run_id = ? AND split = ?').run(runId, split);
    const insert = statement(
      db,
      'INSERT INTO predictions(run_id, split, image_id, label, predicted, confidence, loss, probabilities) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    for (const row of rows) {
      const bytes = Buffer.from(row.probabilities.buffer, row.probabilities.byteOffset, row.probabilities.byteLength);
      insert.run(runId, split, row.imageId, row.label, row.predicted, row.confidence, row.loss, bytes);
    }
  })();
}

interface RawPrediction {
  image_id: number;
  label: number;
  predicted: number;
  confidence: number;
  loss: number;
  probabilities: Buffer;
  file_name?: string;
}

function toPrediction(raw: RawPrediction): StoredPrediction & { fileName: string } {
  const copy = new Uint8Array(raw.probabilities);
  return {
    imageId: raw.image_id,
    label: raw.label,
    predicted: raw.predicted,
    confidence: raw.confidence,
    loss: raw.loss,
    probabilities: new Float32Array(copy.buffer, 0, copy.byteLength / 4),
    fileName: raw.file_name ?? '',
  };
}

const predictionColumns = 'p.image_id, p.label, p.predicted, p.confidence, p.loss, p.probabilities, i.file_name';

export function splitPredictions(db: Db, runId: number, split: Split): (StoredPrediction & { fileName: string })[] {
  return statement<[number, Split], RawPrediction>(
    db,
    `SELECT ${predictionColumns} FROM predictions p JOIN images i ON i.id = p.image_id WHERE p.run_id = ? AND p.split = ? ORDER BY p.image_id`,
  )
    .all(runId, split)
    .map(toPrediction);
}

export function hasPredictions(db: Db, runId: number, split: Split): boolean {
  return statement<[number, Split], { n: number }>(db, 'SELECT EXISTS (SELECT 1 FROM predictions WHERE run_id = ? AND split = ?) AS n').get(runId, split)!.n === 1;
}

/** The images behind one confusion-matrix cell, most confident first (an index search on predictions_cell). */
export function cellPredictions(db: Db, runId: number, split: Split, actual: number, predicted: number, limit: number) {
  return statement<[number, Split, number, number, number], RawPrediction>(
    db,
    `SELECT ${predictionColumns} FROM predictions p JOIN images i ON i.id = p.image_id
     WHERE p.run_id = ? AND p.split = ? AND p.label = ? AND p.predicted = ?
     ORDER BY p.confidence DESC LIMIT ?`,
  )
    .all(runId, split, actual, predicted, limit)
    .map(toPrediction);
}

export function topLossPredictions(db: Db, runId: number, split: Split, limit: number) {
  return statement<[number, Split, number], RawPrediction>(
    db,
    `SELECT ${predictionColumns} FROM predictions p JOIN images i ON i.id = p.image_id
     WHERE p.run_id = ? AND p.split = ? ORDER BY p.loss DESC LIMIT ?`,
  )
    .all(runId, split, limit)
    .map(toPrediction);
}

export interface StoredMask {
  imageId: number;
  module: number;
  height: number;
  width: number;
  data: Uint8Array;
}

export function insertMaskFrames(db: Db, runId: number, epoch: number, masks: StoredMask[]): void {
  db.transaction(() => {
    const insert = statement(
      db,
      'INSERT OR REPLACE INTO mask_frames(run_id, epoch, image_id, module, height, width, data) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    for (const m of masks) insert.run(runId, epoch, m.imageId, m.module, m.height, m.width, Buffer.from(m.data));
  })();
}

export function latestMaskFrames(db: Db, runId: number): { epoch: number; masks: StoredMask[] } | null {
  const latest = statement<[number], { epoch: number | null }>(db, 'SELECT max(epoch) AS epoch FROM mask_frames WHERE run_id = ?').get(runId)!.epoch;
  if (latest === null) return null;
  const masks = statement<[number, number], { image_id: number; module: number; height: number; width: number; data: Buffer }>(
    db,
    'SELECT image_id, module, height, width, data FROM mask_frames WHERE run_id = ? AND epoch = ? ORDER BY image_id, module',
  )
    .all(runId, latest)
    .map((r) => ({ imageId: r.image_id, module: r.module, height: r.height, width: r.width, data: new Uint8Array(r.data) }));
  return { epoch: latest, masks };
}

export interface MeasuredSpeedRow {
  runId: number;
  imagesPerSecond: number;
  config: RunConfig;
  backend: string | null;
}

/** The last epoch's training speed of the newest run of a model variant that finished an epoch. */
export function lastMeasuredSpeed(db: Db, model: string): MeasuredSpeedRow | null {
  const row = statement<[string], { run_id: number; images_per_second: number; config: string; backend: string | null }>(
    db,
    `SELECT e.run_id, e.images_per_second, r.config, r.backend FROM runs r JOIN run_epochs e ON e.run_id = r.id
     WHERE r.config ->> '$.model' = ? AND e.images_per_second > 0
     ORDER BY r.id DESC, e.epoch DESC LIMIT 1`,
  ).get(model);
  return row ? { runId: row.run_id, imagesPerSecond: row.images_per_second, config: JSON.parse(row.config) as RunConfig, backend: row.backend } : null;
}

/** The class index of each image of a run's snapshot among `imageIds`. */
export function snapshotLabels(db: Db, runId: number, imageIds: readonly number[]): Map<number, number> {
  const rows = statement<[number, string], { image_id: number; class_index: number }>(
    db,
    'SELECT image_id, class_index FROM run_images WHERE run_id = ? AND image_id IN (SELECT value FROM json_each(?))',
  ).all(runId, JSON.stringify(imageIds));
  return new Map(rows.map((r) => [r.image_id, r.class_index]));
}

/** Records the epochs a run now plans (a time budget fitted them); the rest of its config stays. */
/** The batch a run trains with, when the one asked for did not fit the device (trainTask.ts checkBatchFits). */
export function setRunBatchSize(db: Db, runId: number, batchSize: number): void {
  statement(db, "UPDATE runs SET config = json_set(config, '$.batchSize', ?) WHERE id = ?").run(batchSize, runId);
}

export function setRunPlannedEpochs(db: Db, runId: number, epochs: number): void {
  statement(db, "UPDATE runs SET config = json_set(config, '$.epochs', ?) WHERE id = ?").run(epochs, runId);
}
