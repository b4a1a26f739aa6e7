import type { Migration } from './types.js';

export const createThumbnailsAndTrainingCache: Migration = {
  version: 30,
  name: 'create-thumbnails-and-training-cache',
  up(db) {
    db.exec(`
      -- Small previews for the grid, as bytes a browser displays directly (image/webp, or the original
      -- file when it is already small and needs no rotation).
      CREATE TABLE thumbnails (
        image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
        mime TEXT NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        data BLOB NOT NULL
      ) STRICT;

      -- The decoded image at a model input size (size x size x channels, uint8, row-major HWC), so an
      -- epoch reads pixels instead of decoding files. channels is 1 (grey) or 3 (colour, alpha flattened).
      CREATE TABLE training_cache (
        image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        size INTEGER NOT NULL,
        channels INTEGER NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (image_id, size)
      ) STRICT;
    `);
  },
};
