/**
 * A larger look at one image than its thumbnail: the original file, re-encoded with sharp to at most
 * `maxSide` pixels on its longer side (EXIF orientation applied, never enlarged). When none of the
 * image's files can be read any more, the stored thumbnail stands in and says so.
 */
import sharp, { type Sharp } from 'sharp';
import type { ImagePreview } from '../../common/contract/dataset.js';
import { MiB, readStoredFile } from '../files/readStoredFile.js';
import type { Db } from '../storage/db.js';
import { getImage } from '../storage/images.js';
import { getThumbnail } from '../storage/thumbnails.js';
import { sourcePathsOf } from '../storage/trainingCache.js';
import { decodeBmp } from './bmp.js';
import { defaultDecodeOptions } from './decode.js';
import { sniffFormat } from './sniff.js';

/** Up to this size a lossless PNG is small and keeps every pixel crisp under CSS scaling. */
const LOSSLESS_MAX_SIDE = 256;

async function firstReadable(paths: string[]): Promise<Buffer | null> {
  for (const file of paths) {
    try {
      return await readStoredFile(file, { maxBytes: 512 * MiB, timeoutMs: 10_000 });
    } catch {
      // moved, deleted, or no longer a regular file: try the image's other known paths
    }
  }
  return null;
}

/** An image's bytes re-encoded at most `maxSide` on its longer side (EXIF orientation applied, never enlarged). */
export async function encodePreview(bytes: Buffer, maxSide: number): Promise<Omit<ImagePreview, 'imageId' | 'fromOriginal'>> {
  const sniffed = sniffFormat(bytes);
  if (!sniffed.supported) throw new Error(`not a supported image (${sniffed.format ?? 'unknown content'})`);
  let pipeline: Sharp;
  if (sniffed.format === 'bmp') {
    const raw = decodeBmp(bytes, defaultDecodeOptions.maxPixels);
    pipeline = sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } });
  } else {
    pipeline = sharp(bytes, { limitInputPixels: defaultDecodeOptions.maxPixels, pages: 1 }).rotate();
  }
  pipeline = pipeline.resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true });
  const meta = await pipeline.clone().toBuffer({ resolveWithObject: true });
  const lossless = meta.info.width <= LOSSLESS_MAX_SIDE && meta.info.height <= LOSSLESS_MAX_SIDE;
  const { data, info } = await (lossless || meta.info.channels === 4 ? pipeline.png() : pipeline.jpeg({ quality: 90 })).toBuffer({ resolveWithObject: true });
  return { mime: info.format === 'png' ? 'image/png' : 'image/jpeg', width: info.width, height: info.height, base64: data.toString('base64') };
}

export async function imagePreview(db: Db, imageId: number, maxSide: number): Promise<ImagePreview> {
  getImage(db, imageId); // an unknown id is a not_found naming the field
  const bytes = await firstReadable(sourcePathsOf(db, imageId));
  if (bytes) {
    try {
      return { imageId, fromOriginal: true, ...(await encodePreview(bytes, maxSide)) };
    } catch {
      // a file changed into something unreadable since the import: show what the import kept
    }
  }
  return { ...getThumbnail(db, imageId), fromOriginal: false };
}
