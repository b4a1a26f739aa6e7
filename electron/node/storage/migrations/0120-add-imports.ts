import type { Migration } from './types.js';

/**
 * One row per import run, and on every image the import that first brought it in, so a whole import
 * can be excluded again in one undoable edit. Images from before this step have no import.
 */
export const addImports: Migration = {
  version: 120,
  name: 'add-imports',
  up(db) {
    db.exec(`
      CREATE TABLE imports (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        finished_at INTEGER,
        -- running (or killed while running), completed, cancelled, failed
        status TEXT NOT NULL DEFAULT 'running'
      ) STRICT;
      ALTER TABLE images ADD COLUMN import_id INTEGER REFERENCES imports(id);
      CREATE INDEX images_import ON images(import_id, id);
    `);
  },
};
