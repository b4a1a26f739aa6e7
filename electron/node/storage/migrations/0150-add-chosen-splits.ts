import type { Migration } from './types.js';

/**
 * Splits the user chose: a folder imported as the validation (or test) set, or images moved to a split
 * by hand. Such an image's split is pinned: rebalancing by the ratios leaves it where it is (splits.ts).
 * Moves by hand are label edits, so each one is recorded for undo in split_changes.
 */
export const addChosenSplits: Migration = {
  version: 150,
  name: 'add-chosen-splits',
  up(db) {
    db.exec(`
      -- 1: the user chose this image's split; NULL: the ratios decide it
      ALTER TABLE images ADD COLUMN split_pinned INTEGER CHECK (split_pinned = 1);
      -- The split an import put every new image in; NULL: by the ratios
      ALTER TABLE imports ADD COLUMN split TEXT CHECK (split IN ('train', 'val', 'test'));

      CREATE TABLE split_changes (
        edit_id INTEGER NOT NULL REFERENCES label_edits(id) ON DELETE CASCADE,
        image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        old_split TEXT NOT NULL CHECK (old_split IN ('train', 'val', 'test')),
        new_split TEXT NOT NULL CHECK (new_split IN ('train', 'val', 'test')),
        old_pinned INTEGER NOT NULL CHECK (old_pinned IN (0, 1)),
        new_pinned INTEGER NOT NULL CHECK (new_pinned IN (0, 1)),
        PRIMARY KEY (edit_id, image_id)
      ) STRICT, WITHOUT ROWID;
    `);
  },
};
