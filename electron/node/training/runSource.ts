/**
 * A run's split as a `DataSource`: the snapshot's image ids and class indices, pixels read from the
 * workspace's training cache in one statement per batch (never a file decode during an epoch).
 */
import type { DataSource, ImageBatch, ImageShape } from '../../../ml/train/dataSource.js';
import { StudioError } from '../../common/errors.js';
import type { ResizePolicy } from '../../common/resizePolicy.js';
import type { Db } from '../storage/db.js';
import type { RunImage } from '../storage/runs.js';
import { cachedBatch } from '../storage/trainingCache.js';
import { convertChannels } from './pixels.js';

export class RunDataSource implements DataSource {
  readonly size: number;
  readonly imageShape: ImageShape;

  constructor(
    private readonly db: Db,
    private readonly images: readonly RunImage[],
    readonly numClasses: number,
    imageSize: number,
    channels: 1 | 3,
    private readonly policy: ResizePolicy = 'squash',
  ) {
    this.size = images.length;
    this.imageShape = [imageSize, imageSize, channels];
  }

  imageIdAt(position: number): number {
    return this.images[position]!.imageId;
  }

  async *batches(order: ArrayLike<number>, batchSize: number): AsyncIterable<ImageBatch> {
    const [size, , channels] = this.imageShape;
    const pixelsPerImage = size * size * channels;
    for (let start = 0; start < order.length; start += batchSize) {
      const count = Math.min(batchSize, order.length - start);
      const chosen = Array.from({ length: count }, (_, i) => this.images[order[start + i]!]!);
      const ids = chosen.map((image) => image.imageId);
      const rows = cachedBatch(this.db, ids, size, this.policy);
      if (rows.length !== count) {
        const have = new Set(rows.map((r) => r.imageId));
        const missing = ids.find((id) => !have.has(id));
        throw new StudioError('not_found', `Image ${missing} has no decoded pixels at ${size}x${size} (${this.policy}); its file may have moved since import`);
      }
      const images = new Uint8Array(count * pixelsPerImage);
      rows.forEach((row, i) => convertChannels(row.data, row.channels, channels, images, i * pixelsPerImage));
      yield { images, labels: Int32Array.from(chosen, (image) => image.classIndex), ids };
    }
  }
}
