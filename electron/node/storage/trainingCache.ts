/**
 * Decoded pixels at a model input size. The importer fills the default size; other sizes are filled
 * on demand (ensureTrainingCache in ../training/cache.ts) so an epoch only ever reads blobs.
 */
import type { Db } from './db.js';
import { statement } from './statements.js';

/** The input size the importer caches while it has each image decoded anyway. */
export const DEFAULT_CACHE_SIZE = 32;

export interface CachedPixels {
  imageId: number;
  size: number;
  /** 1 (grey) or 3 (RGB); alpha is flattened onto white. */
  channels: number;
  /** size x size x channels, row-major HWC. */
  data: Buffer;
}

export function insertCachedPixels(db: Db, pixels: CachedPixels): void {
  statement(db, 'INSERT OR REPLACE INTO training_cache(image_id, size, channels, data) VALUES (?, ?, ?, ?)').run(
    pixels.imageId,
    pixels.size,
    pixels.channels,
    pixels.data,
  );
}

export function cachedPixels(db: Db, imageId: number, size: number): CachedPixels | undefined {
  const row = statement<[number, number], { channels: number; data: Buffer }>(
    db,
    'SELECT channels, data FROM training_cache WHERE image_id = ? AND size = ?',
  ).get(imageId, size);
  return row ? { imageId, size, channels: row.channels, data: row.data } : undefined;
}

/** Every other known path of an image, for when its first source has moved. */
export function sourcePathsOf(db: Db, imageId: number): string[] {
  return statement<[number], { path: string }>(db, 'SELECT path FROM image_sources WHERE image_id = ?')
    .all(imageId)
    .map((row) => row.path);
}

/** Reads cached pixels for many images in one statement: a training batch. */
export function cachedBatch(db: Db, imageIds: readonly number[], size: number): CachedPixels[] {
  const rows = statement<[number, string], { image_id: number; channels: number; data: Buffer }>(
    db,
    'SELECT image_id, channels, data FROM training_cache WHERE size = ? AND image_id IN (SELECT value FROM json_each(?))',
  ).all(size, JSON.stringify(imageIds));
  const byId = new Map(rows.map((row) => [row.image_id, row]));
  return imageIds.flatMap((imageId) => {
    const row = byId.get(imageId);
    return row ? [{ imageId, size, channels: row.channels, data: row.data }] : [];
  });
}
