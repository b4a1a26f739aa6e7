import type { Migration } from './types.js';

export const createRuns: Migration = {
  version: 100,
  name: 'create-runs',
  up(db) {
    db.exec(`
      -- A training run. config is the JSON of RunConfig (model, input size, hyper-parameters,
      -- augmentation, seed); class_names the JSON array mapping class index -> name at creation.
      CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'paused', 'completed', 'stopped', 'failed', 'interrupted')),
        config TEXT NOT NULL,
        class_names TEXT NOT NULL,
        backend TEXT,
        started_at INTEGER,
        finished_at INTEGER,
        epochs_done INTEGER NOT NULL DEFAULT 0,
        error TEXT
      ) STRICT;
      CREATE INDEX runs_status ON runs(status, id);

      -- The label snapshot: the images a run trains and evaluates on, with their class index and split
      -- as they were when the run was created. Relabelling later never changes a run.
      CREATE TABLE run_images (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        image_id INTEGER NOT NULL REFERENCES images(id),
        class_index INTEGER NOT NULL,
        split TEXT NOT NULL CHECK (split IN ('train', 'val', 'test')),
        PRIMARY KEY (run_id, image_id)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX run_images_split ON run_images(run_id, split, image_id);

      -- Per-epoch metrics; confusion is the validation confusion matrix as JSON (rows = given label).
      CREATE TABLE run_epochs (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        epoch INTEGER NOT NULL,
        step INTEGER NOT NULL,
        learning_rate REAL NOT NULL,
        train_loss REAL NOT NULL,
        train_accuracy REAL NOT NULL,
        val_loss REAL,
        val_accuracy REAL,
        train_seconds REAL NOT NULL,
        images_per_second REAL NOT NULL,
        confusion TEXT,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (run_id, epoch)
      ) STRICT, WITHOUT ROWID;

      -- One prediction per evaluated image: probabilities are float32 x number of classes.
      CREATE TABLE predictions (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        split TEXT NOT NULL CHECK (split IN ('train', 'val', 'test')),
        image_id INTEGER NOT NULL,
        label INTEGER NOT NULL,
        predicted INTEGER NOT NULL,
        confidence REAL NOT NULL,
        loss REAL NOT NULL,
        probabilities BLOB NOT NULL,
        PRIMARY KEY (run_id, split, image_id)
      ) STRICT, WITHOUT ROWID;
      -- The images behind a confusion-matrix cell, most confident first; and the top losses.
      CREATE INDEX predictions_cell ON predictions(run_id, split, label, predicted, confidence DESC);
      CREATE INDEX predictions_loss ON predictions(run_id, split, loss DESC);

      -- Attention-mask frames of the run's fixed panel of validation images: one 8-bit map per attention
      -- module (mean over channels), after each epoch.
      CREATE TABLE mask_frames (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        epoch INTEGER NOT NULL,
        image_id INTEGER NOT NULL,
        module INTEGER NOT NULL,
        height INTEGER NOT NULL,
        width INTEGER NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (run_id, epoch, image_id, module)
      ) STRICT, WITHOUT ROWID;
    `);
  },
};
