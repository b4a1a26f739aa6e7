/** Grid previews, stored in the database with their image so an import never leaves one without the other. */
import type { Thumbnail } from '../../common/contract/dataset.js';
import { StudioError } from '../../common/errors.js';
import type { Db } from './db.js';
import { statement } from './statements.js';

export interface ThumbnailRow {
  image_id: number;
  mime: string;
  width: number;
  height: number;
  data: Buffer;
}

export function insertThumbnail(db: Db, row: ThumbnailRow): void {
  statement(
    db,
    'INSERT OR REPLACE INTO thumbnails(image_id, mime, width, height, data) VALUES (@image_id, @mime, @width, @height, @data)',
  ).run(row);
}

function toThumbnail(row: ThumbnailRow): Thumbnail {
  return { imageId: row.image_id, mime: row.mime, width: row.width, height: row.height, base64: row.data.toString('base64') };
}

export function thumbnailRow(db: Db, imageId: number): ThumbnailRow | undefined {
  return statement<[number], ThumbnailRow>(
    db,
    'SELECT image_id, mime, width, height, data FROM thumbnails WHERE image_id = ?',
  ).get(imageId);
}

export function getThumbnail(db: Db, imageId: number): Thumbnail {
  const row = thumbnailRow(db, imageId);
  if (!row) throw new StudioError('not_found', `imageId: no thumbnail for image ${imageId}`, { field: 'imageId' });
  return toThumbnail(row);
}

export function getThumbnails(db: Db, imageIds: readonly number[]): Thumbnail[] {
  if (imageIds.length === 0) return [];
  const rows = statement<[string], ThumbnailRow>(
    db,
    'SELECT image_id, mime, width, height, data FROM thumbnails WHERE image_id IN (SELECT value FROM json_each(?))',
  ).all(JSON.stringify(imageIds));
  const byId = new Map(rows.map((row) => [row.image_id, row]));
  return imageIds.flatMap((id) => {
    const row = byId.get(id);
    return row ? [toThumbnail(row)] : [];
  });
}
