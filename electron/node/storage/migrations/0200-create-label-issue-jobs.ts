import type { Migration } from './types.js';

/**
 * "Find label issues" jobs: K models trained on K folds of the labelled images, each predicting the fold
 * it never saw. A job's images and folds are frozen when it is created; each image's out-of-sample
 * probabilities are stored as its fold finishes, so a stopped or interrupted job continues at the next
 * fold; the ranked issues are stored when the last fold is done.
 */
export const createLabelIssueJobs: Migration = {
  version: 200,
  name: 'create-label-issue-jobs',
  up(db) {
    db.exec(`
      CREATE TABLE label_issue_jobs (
        id INTEGER PRIMARY KEY,
        created_at INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'stopped', 'completed', 'failed', 'interrupted')),
        -- JSON: model, imageSize, folds, epochsPerFold, batchSize, learningRate, seed, maxMinutes
        config TEXT NOT NULL,
        class_names TEXT NOT NULL,
        folds_done INTEGER NOT NULL DEFAULT 0,
        started_at INTEGER,
        finished_at INTEGER,
        -- Seconds left at the last progress report, and when the worker last reported (a stale beat: the process died).
        eta_seconds REAL,
        heartbeat_at INTEGER,
        detail TEXT,
        -- Share of images whose out-of-sample top prediction is their given label.
        accuracy REAL,
        error TEXT
      ) STRICT;

      CREATE TABLE label_issue_images (
        job_id INTEGER NOT NULL REFERENCES label_issue_jobs(id) ON DELETE CASCADE,
        image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        class_index INTEGER NOT NULL,
        fold INTEGER NOT NULL,
        -- float32 x classes, filled when the image's fold has been predicted
        probabilities BLOB,
        PRIMARY KEY (job_id, image_id)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX label_issue_images_fold ON label_issue_images(job_id, fold);

      CREATE TABLE label_issues (
        job_id INTEGER NOT NULL REFERENCES label_issue_jobs(id) ON DELETE CASCADE,
        rank INTEGER NOT NULL,
        image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        given INTEGER NOT NULL,
        suggested INTEGER NOT NULL,
        score REAL NOT NULL,
        self_confidence REAL NOT NULL,
        suggested_probability REAL NOT NULL,
        PRIMARY KEY (job_id, rank)
      ) STRICT, WITHOUT ROWID;
    `);
  },
};
