/**
 * Decoded pixels at a model input size. The importer fills the default size; other sizes are filled
 * on demand (ensureTrainingCache in ../training/cache.ts) so an epoch only ever reads blobs.
 */
import type { ResizePolicy } from '../../common/resizePolicy.js';
import type { Db } from './db.js';
import { statement } from './statements.js';

/** The input size the importer caches while it has each image decoded anyway. */
export const DEFAULT_CACHE_SIZE = 32;

export interface CachedPixels {
  imageId: number;
  size: number;
  /** How the image became the square; the importer caches 'squash'. */
  policy?: ResizePolicy;
  /** 1 (grey) or 3 (RGB); alpha is flattened onto white. */
  channels: number;
  /** size x size x channels, row-major HWC. */
  data: Buffer;
}

export function insertCachedPixels(db: Db, pixels: CachedPixels): void {
  statement(db, 'INSERT OR REPLACE INTO training_cache(image_id, size, policy, channels, data) VALUES (?, ?, ?, ?, ?)').run(
    pixels.imageId,
    pixels.size,
    pixels.policy ?? 'squash',
    pixels.channels,
    pixels.data,
  );
}

export function cachedPixels(db: Db, imageId: number, size: number, policy: ResizePolicy = 'squash'): CachedPixels | undefined {
  const row = statement<[number, number, string], { channels: number; data: Buffer }>(
    db,
    'SELECT channels, data FROM training_cache WHERE image_id = ? AND size = ? AND policy = ?',
  ).get(imageId, size, policy);
  return row ? { imageId, size, policy, channels: row.channels, data: row.data } : undefined;
}

/** Every other known path of an image, for when its first source has moved. */
export function sourcePathsOf(db: Db, imageId: number): string[] {
  return statement<[number], { path: string }>(db, 'SELECT path FROM image_sources WHERE image_id = ?')
    .all(imageId)
    .map((row) => row.path);
}

/** Reads cached pixels for many images in one statement: a training batch. */
export function cachedBatch(db: Db, imageIds: readonly number[], size: number, policy: ResizePolicy = 'squash'): CachedPixels[] {
  const rows = statement<[number, string, string], { image_id: number; channels: number; data: Buffer }>(
    db,
    'SELECT image_id, channels, data FROM training_cache WHERE size = ? AND policy = ? AND image_id IN (SELECT value FROM json_each(?))',
  ).all(size, policy, JSON.stringify(imageIds));
  const byId = new Map(rows.map((row) => [row.image_id, row]));
  return imageIds.flatMap((imageId) => {
    const row = byId.get(imageId);
    return row ? [{ imageId, size, policy, channels: row.channels, data: row.data }] : [];
  });
}
