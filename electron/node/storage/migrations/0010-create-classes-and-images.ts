import type { Migration } from './types.js';

export const createClassesAndImages: Migration = {
  version: 10,
  name: 'create-classes-and-images',
  up(db) {
    db.exec(`
      -- Key/value settings of the workspace (split ratios, seed, lock), values as JSON.
      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;

      -- Rows are never deleted: a deleted class keeps its id (deleted_at set) so undo can bring it back
      -- and old label history still points at something.
      CREATE TABLE classes (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        deleted_at INTEGER
      ) STRICT;
      CREATE UNIQUE INDEX classes_live_name ON classes(name) WHERE deleted_at IS NULL;

      -- One row per distinct content (sha256 of the file bytes): duplicates are stored once.
      CREATE TABLE images (
        id INTEGER PRIMARY KEY,
        content_hash TEXT NOT NULL UNIQUE,
        source_path TEXT NOT NULL,
        file_name TEXT NOT NULL,
        format TEXT NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        channels INTEGER NOT NULL,
        has_alpha INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        imported_at INTEGER NOT NULL,
        class_id INTEGER REFERENCES classes(id),
        state TEXT NOT NULL DEFAULT 'ok' CHECK (state IN ('ok', 'unsure', 'excluded')),
        split TEXT NOT NULL CHECK (split IN ('train', 'val', 'test'))
      ) STRICT;

      -- Every file path an import has seen, with the size and mtime it had, so a re-import skips
      -- unchanged files without reading them. Several paths may share one image (duplicates).
      CREATE TABLE image_sources (
        path TEXT PRIMARY KEY,
        image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        size INTEGER NOT NULL,
        mtime_ms INTEGER NOT NULL,
        folder_label TEXT
      ) STRICT;
      CREATE INDEX image_sources_image ON image_sources(image_id);
    `);
  },
};
