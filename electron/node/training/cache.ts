/**
 * Makes sure every image a run needs has decoded pixels at the run's input size and resize policy.
 * The importer caches 32x32 squashed; any other size or policy is decoded once here, from the first of the image's known paths that still
 * reads, and stored, so epochs and later runs never decode files.
 */
import { StudioError } from '../../common/errors.js';
import type { ResizePolicy } from '../../common/resizePolicy.js';
import { MiB, readStoredFile } from '../files/readStoredFile.js';
import { defaultDecodeOptions, prepareImage } from '../import/decode.js';
import type { Db } from '../storage/db.js';
import { statement } from '../storage/statements.js';
import { insertCachedPixels, sourcePathsOf } from '../storage/trainingCache.js';

export async function ensureTrainingCache(
  db: Db,
  imageIds: readonly number[],
  size: number,
  policy: ResizePolicy,
  onProgress?: (done: number, total: number) => void,
): Promise<void> {
  const missing = statement<[string, number, string], { id: number }>(
    db,
    `SELECT m.value AS id FROM json_each(?) m
     WHERE NOT EXISTS (SELECT 1 FROM training_cache t WHERE t.image_id = m.value AND t.size = ? AND t.policy = ?)`,
  )
    .all(JSON.stringify(imageIds), size, policy)
    .map((row) => row.id);
  let done = 0;
  onProgress?.(done, missing.length);
  for (const imageId of missing) {
    const paths = sourcePathsOf(db, imageId);
    let bytes: Buffer | null = null;
    for (const file of paths) {
      try {
        bytes = await readStoredFile(file, { maxBytes: 512 * MiB, timeoutMs: 60_000 });
        break;
      } catch {
        // moved, deleted, or no longer a regular file: try the image's other known paths
      }
    }
    if (!bytes) {
      throw new StudioError('not_found', `Image ${imageId} cannot be read at ${size}x${size} (${policy}): none of its files exist any more (${paths.join(', ')})`);
    }
    const prepared = await prepareImage(bytes, { ...defaultDecodeOptions, cacheSize: size, resizePolicy: policy });
    insertCachedPixels(db, { imageId, size, policy, channels: prepared.cache.channels, data: prepared.cache.data });
    done++;
    if (done % 50 === 0 || done === missing.length) onProgress?.(done, missing.length);
  }
}
