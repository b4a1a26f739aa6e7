import type { Migration } from './types.js';

/**
 * A run's predictions for images that have no label yet: the grid shows them as suggestions, and the
 * "Label next" order is computed from their probabilities. Tied to the run that made them.
 */
export const createLabelSuggestions: Migration = {
  version: 210,
  name: 'create-label-suggestions',
  up(db) {
    db.exec(`
      CREATE TABLE label_suggestions (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        -- index into the run's class_names
        predicted INTEGER NOT NULL,
        confidence REAL NOT NULL,
        probabilities BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (run_id, image_id)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX label_suggestions_image ON label_suggestions(image_id);
    `);
  },
};
