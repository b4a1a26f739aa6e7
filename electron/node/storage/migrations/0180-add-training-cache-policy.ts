import type { Migration } from './types.js';

/**
 * The training cache keeps one square per image, size and resize policy (electron/common/resizePolicy.ts),
 * so runs that crop or letterbox never read another run's squashed pixels. Rows cached before were
 * squashed. SQLite cannot change a primary key in place: the table is rebuilt and its rows copied.
 */
export const addTrainingCachePolicy: Migration = {
  version: 180,
  name: 'add-training-cache-policy',
  up(db) {
    db.exec(`
      CREATE TABLE training_cache_by_policy (
        image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        size INTEGER NOT NULL,
        policy TEXT NOT NULL DEFAULT 'squash' CHECK (policy IN ('squash', 'centre-crop', 'letterbox')),
        channels INTEGER NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (image_id, size, policy)
      ) STRICT;
      INSERT INTO training_cache_by_policy(image_id, size, policy, channels, data)
        SELECT image_id, size, 'squash', channels, data FROM training_cache;
      DROP TABLE training_cache;
      ALTER TABLE training_cache_by_policy RENAME TO training_cache;
    `);
  },
};
