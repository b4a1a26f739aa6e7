import type { Migration } from './types.js';

export const createLabelHistory: Migration = {
  version: 20,
  name: 'create-label-history',
  up(db) {
    db.exec(`
      -- One row per user action (relabel, class rename...). undone_at set = on the redo stack.
      CREATE TABLE label_edits (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        summary TEXT NOT NULL,
        actor TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        undone_at INTEGER
      ) STRICT;
      CREATE INDEX label_edits_undone ON label_edits(undone_at, id);

      CREATE TABLE label_changes (
        edit_id INTEGER NOT NULL REFERENCES label_edits(id) ON DELETE CASCADE,
        image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        old_class_id INTEGER REFERENCES classes(id),
        new_class_id INTEGER REFERENCES classes(id),
        old_state TEXT NOT NULL,
        new_state TEXT NOT NULL,
        PRIMARY KEY (edit_id, image_id)
      ) STRICT, WITHOUT ROWID;
      -- "What happened to this image", and what its label was when a training run started.
      CREATE INDEX label_changes_image ON label_changes(image_id, edit_id);

      -- A null name means "does not exist" (before an add, after a delete).
      CREATE TABLE class_changes (
        edit_id INTEGER NOT NULL REFERENCES label_edits(id) ON DELETE CASCADE,
        class_id INTEGER NOT NULL REFERENCES classes(id),
        old_name TEXT,
        new_name TEXT,
        PRIMARY KEY (edit_id, class_id)
      ) STRICT, WITHOUT ROWID;
    `);
  },
};
