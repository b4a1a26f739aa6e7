/**
 * Fills a workspace with synthetic image rows for scale tests, written straight into the workspace
 * database (opened and migrated by the storage module) with set-based SQL: no files, nothing decoded,
 * 100,000 rows in a couple of seconds. The rows are what insertImage writes (image, path search entry)
 * plus a thumbnail; one small thumbnail per class is shared by all of that class's images.
 */
import sharp from 'sharp';
import { ensureClass } from '../electron/node/storage/classes.js';
import { openWorkspaceDb } from '../electron/node/storage/db.js';

export interface SynthOptions {
  total: number;
  classes: string[];
}

/** `synth_000000.png`...: image i is in class i % classes.length, split by i % 10 (8 train, 1 val, 1 test). */
export function synthFileName(i: number): string {
  return `synth_${String(i).padStart(6, '0')}.png`;
}

export async function synthesiseImages(workspace: string, { total, classes }: SynthOptions): Promise<void> {
  const thumbnails = await Promise.all(
    classes.map((_, k) => {
      const hue = Math.round((360 * k) / classes.length);
      return sharp({ create: { width: 16, height: 16, channels: 3, background: `hsl(${hue}, 55%, 55%)` } }).png().toBuffer();
    }),
  );
  const db = openWorkspaceDb(workspace);
  try {
    db.transaction(() => {
      db.exec('CREATE TEMP TABLE synth_classes(k INTEGER PRIMARY KEY, class_id INTEGER NOT NULL, name TEXT NOT NULL, thumb BLOB NOT NULL)');
      const addClass = db.prepare('INSERT INTO synth_classes(k, class_id, name, thumb) VALUES (?, ?, ?, ?)');
      classes.forEach((name, k) => addClass.run(k, ensureClass(db, name), name, thumbnails[k]));
      const first = (db.prepare('SELECT coalesce(max(id), 0) + 1 AS n FROM images').get() as { n: number }).n;
      db.prepare(
        `WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < @total - 1)
         INSERT INTO images(content_hash, source_path, file_name, format, width, height, channels, has_alpha, bytes,
                            imported_at, class_id, state, split)
         SELECT 'synthetic-' || i, '/synthetic/' || c.name || '/synth_' || printf('%06d', i) || '.png',
                'synth_' || printf('%06d', i) || '.png', 'png', 16, 16, 3, 0, length(c.thumb), 1700000000000 + i,
                c.class_id, 'ok', CASE i % 10 WHEN 0 THEN 'test' WHEN 1 THEN 'val' ELSE 'train' END
         FROM seq JOIN synth_classes c ON c.k = i % @classes ORDER BY i`,
      ).run({ total, classes: classes.length });
      db.prepare('INSERT INTO images_search(rowid, source_path) SELECT id, source_path FROM images WHERE id >= ?').run(first);
      db.prepare(
        `INSERT INTO thumbnails(image_id, mime, width, height, data)
         SELECT i.id, 'image/png', 16, 16, c.thumb FROM images i JOIN synth_classes c ON c.class_id = i.class_id WHERE i.id >= ?`,
      ).run(first);
      db.exec('DROP TABLE synth_classes');
    })();
  } finally {
    db.close();
  }
}

export interface SynthRunOptions {
  name: string;
  /** The run's class names, in the order of its class indices. */
  classNames: string[];
  /** The class index the run predicted for synthetic image i (its true index is i % classNames.length). */
  predicted: (i: number, label: number) => number;
}

/**
 * A finished run evaluated on the validation split, as evaluateRun leaves it: the run, its snapshot of
 * the val images and one prediction each. Images are those of synthesiseImages (their index i is id - 1).
 */
export function synthesiseRun(workspace: string, options: SynthRunOptions): number {
  const db = openWorkspaceDb(workspace);
  try {
    return db.transaction(() => {
      const config = JSON.stringify({ model: 'lite-16', imageSize: 32, epochs: 1, batchSize: 32 });
      const runId = Number(
        db.prepare("INSERT INTO runs(name, created_at, status, config, class_names, epochs_done) VALUES (?, ?, 'completed', ?, ?, 1)")
          .run(options.name, Date.now(), config, JSON.stringify(options.classNames)).lastInsertRowid,
      );
      const images = db.prepare("SELECT id FROM images WHERE split = 'val' ORDER BY id").all() as { id: number }[];
      const snapshot = db.prepare("INSERT INTO run_images(run_id, image_id, class_index, split) VALUES (?, ?, ?, 'val')");
      const predict = db.prepare(
        "INSERT INTO predictions(run_id, split, image_id, label, predicted, confidence, loss, probabilities) VALUES (?, 'val', ?, ?, ?, 0.9, 0.1, ?)",
      );
      const probabilities = Buffer.alloc(4 * options.classNames.length);
      for (const { id } of images) {
        const label = (id - 1) % options.classNames.length;
        snapshot.run(runId, id, label);
        predict.run(runId, id, label, options.predicted(id - 1, label), probabilities);
      }
      return runId;
    })();
  } finally {
    db.close();
  }
}
