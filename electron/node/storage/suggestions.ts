/** A run's predictions for unlabelled images: the grid's suggestions and the "Label next" order's input. */
import type { Db } from './db.js';
import { statement } from './statements.js';

export interface SuggestionRow {
  imageId: number;
  predicted: number;
  confidence: number;
  probabilities: Float32Array;
}

/** The images a suggestion pass predicts: no class, not excluded. */
export function unlabelledImageIds(db: Db): number[] {
  return statement<[], { id: number }>(db, "SELECT id FROM images WHERE class_id IS NULL AND state != 'excluded' ORDER BY id").all().map((r) => r.id);
}

export function replaceSuggestions(db: Db, runId: number, rows: readonly SuggestionRow[]): void {
  db.transaction(() => {
    statement(db, 'DELETE FROM label_suggestions WHERE run_id = ?').run(runId);
    const insert = statement(db, 'INSERT INTO label_suggestions(run_id, image_id, predicted, confidence, probabilities, created_at) VALUES (?, ?, ?, ?, ?, ?)');
    const now = Date.now();
    for (const row of rows) {
      insert.run(runId, row.imageId, row.predicted, row.confidence, Buffer.from(row.probabilities.buffer, row.probabilities.byteOffset, row.probabilities.byteLength), now);
    }
  })();
}

/** The run whose suggestions the grid shows: the one that predicted most recently. */
export function latestSuggestionRun(db: Db): number | null {
  return statement<[], { run_id: number }>(db, 'SELECT run_id FROM label_suggestions ORDER BY created_at DESC, run_id DESC LIMIT 1').get()?.run_id ?? null;
}

/** The run's suggestions for images that are still unlabelled (a labelled image's suggestion is spent). */
export function openSuggestions(db: Db, runId: number, imageIds?: readonly number[]): SuggestionRow[] {
  const rows = imageIds
    ? statement<[number, string], { image_id: number; predicted: number; confidence: number; probabilities: Buffer }>(
      db,
      `SELECT s.image_id, s.predicted, s.confidence, s.probabilities FROM label_suggestions s JOIN images i ON i.id = s.image_id
       WHERE s.run_id = ? AND i.class_id IS NULL AND i.state != 'excluded' AND s.image_id IN (SELECT value FROM json_each(?)) ORDER BY s.image_id`,
    ).all(runId, JSON.stringify(imageIds))
    : statement<[number], { image_id: number; predicted: number; confidence: number; probabilities: Buffer }>(
      db,
      `SELECT s.image_id, s.predicted, s.confidence, s.probabilities FROM label_suggestions s JOIN images i ON i.id = s.image_id
       WHERE s.run_id = ? AND i.class_id IS NULL AND i.state != 'excluded' ORDER BY s.image_id`,
    ).all(runId);
  return rows.map((r) => {
    const copy = new Uint8Array(r.probabilities);
    return { imageId: r.image_id, predicted: r.predicted, confidence: r.confidence, probabilities: new Float32Array(copy.buffer, 0, copy.byteLength / 4) };
  });
}

/** Images a new run's snapshot would take now (labelled 'ok' in a live class), or those of one split. */
export function trainableImageCount(db: Db, split?: 'train' | 'val' | 'test'): number {
  return statement<[{ split: string | null }], { n: number }>(
    db,
    `SELECT count(*) AS n FROM images i JOIN classes c ON c.id = i.class_id
     WHERE i.state = 'ok' AND c.deleted_at IS NULL AND (@split IS NULL OR i.split = @split)`,
  ).get({ split: split ?? null })!.n;
}

/** Images in a run's frozen snapshot. */
export function snapshotSize(db: Db, runId: number): number {
  return statement<[number], { n: number }>(db, 'SELECT count(*) AS n FROM run_images WHERE run_id = ?').get(runId)!.n;
}
