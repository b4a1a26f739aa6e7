import type { Migration } from './types.js';

/**
 * Which images still have the provisional split they were given when inserted (splits.ts), because
 * their class has not been rebalanced since: an import killed before its end never rebalanced. The
 * next import to finish rebalances every class holding one, not only the classes it touched itself.
 * Images of imports that never finished before this step are marked, since nothing rebalanced them.
 */
export const addProvisionalSplits: Migration = {
  version: 140,
  name: 'add-provisional-splits',
  up(db) {
    db.exec(`
      -- 1 while the split is provisional, NULL once the image's class has been rebalanced
      ALTER TABLE images ADD COLUMN provisional_split INTEGER CHECK (provisional_split = 1);
      CREATE INDEX images_provisional_split ON images(class_id) WHERE provisional_split = 1;
      UPDATE images SET provisional_split = 1
      WHERE import_id IN (SELECT id FROM imports WHERE status IN ('running', 'failed', 'interrupted'));
    `);
  },
};
