/**
 * Where training images come from. The studio implements `DataSource` over its SQLite image table (a
 * split is a list of image rows); tests use `InMemoryDataSource`. The trainer never sees files or
 * rows, only positions 0..size-1 of a source, and asks for them in the order it chose.
 */

/** `[height, width, channels]`, channels 1 (grey) or 3 (RGB). */
export type ImageShape = readonly [number, number, number];

/** A run of images, decoded and resized to the source's `imageShape`. */
export interface ImageBatch {
  /** `labels.length` images back to back, each height x width x channels (HWC, row-major), 0..255. */
  images: Uint8Array;
  /** Class index per image, in 0..numClasses-1. */
  labels: Int32Array;
  /**
   * The source's own identifier per image (the studio: the image's row id), passed through to
   * predictions so mistakes can be shown. When absent, results fall back to source positions.
   */
  ids?: ArrayLike<number>;
}

export interface DataSource {
  /** Number of images; positions are 0..size-1. */
  readonly size: number;
  readonly numClasses: number;
  readonly imageShape: ImageShape;
  /**
   * Yields the images at the given positions, in exactly that order, `batchSize` at a time (the last
   * batch may be shorter). Decoding may be async (the studio reads blobs and decodes off-thread): the
   * trainer asks for batch k+1 as soon as it starts on batch k, so decoding overlaps training without
   * the source buffering anything itself. A stopped run closes the iteration (`return`), where a source
   * frees what it holds.
   */
  batches(order: ArrayLike<number>, batchSize: number): AsyncIterable<ImageBatch>;
}

export function imageSize(shape: ImageShape): number {
  return shape[0] * shape[1] * shape[2];
}

/** 0..size-1: the order for passes where order does not matter (statistics, evaluation). */
export function sequentialOrder(size: number): Int32Array {
  const order = new Int32Array(size);
  for (let i = 0; i < size; i++) order[i] = i;
  return order;
}

/**
 * Checks what a source yielded against its own declaration, so a faulty source fails with a message
 * naming the mismatch instead of a shape error deep inside tfjs.
 */
export function checkBatch(source: DataSource, batch: ImageBatch, expectedCount: number): void {
  const count = batch.labels.length;
  if (count !== expectedCount) {
    throw new Error(`Data source returned ${count} images where ${expectedCount} were asked for.`);
  }
  const expectedBytes = count * imageSize(source.imageShape);
  if (batch.images.length !== expectedBytes) {
    throw new Error(
      `Data source returned ${batch.images.length} bytes of pixels for ${count} images of ` +
        `${source.imageShape.join('x')}; expected ${expectedBytes}. Images must be decoded and resized to the source's imageShape.`,
    );
  }
  for (let i = 0; i < count; i++) {
    const label = batch.labels[i];
    if (!(label >= 0 && label < source.numClasses)) {
      throw new Error(`Data source returned label ${label}, outside 0..${source.numClasses - 1}.`);
    }
  }
}

export interface InMemoryDataSourceOptions {
  /** All images back to back, HWC uint8. */
  images: Uint8Array;
  labels: ArrayLike<number>;
  imageShape: ImageShape;
  numClasses: number;
  ids?: ArrayLike<number>;
}

/** A source over arrays already in memory: tests, small imports, and splits of either. */
export class InMemoryDataSource implements DataSource {
  readonly size: number;
  readonly numClasses: number;
  readonly imageShape: ImageShape;
  private readonly images: Uint8Array;
  private readonly labels: Int32Array;
  private readonly ids: Float64Array | null;

  constructor(options: InMemoryDataSourceOptions) {
    this.size = options.labels.length;
    this.numClasses = options.numClasses;
    this.imageShape = options.imageShape;
    this.images = options.images;
    this.labels = Int32Array.from(options.labels);
    this.ids = options.ids ? Float64Array.from(options.ids) : null;
    if (this.images.length !== this.size * imageSize(this.imageShape)) {
      throw new Error(`${this.images.length} bytes of pixels do not make ${this.size} images of ${this.imageShape.join('x')}.`);
    }
    if (this.ids && this.ids.length !== this.size) {
      throw new Error(`${this.ids.length} ids given for ${this.size} images.`);
    }
  }

  /** The images at `positions` as a new source; ids default to positions in this source. */
  subset(positions: ArrayLike<number>): InMemoryDataSource {
    const size = imageSize(this.imageShape);
    const images = new Uint8Array(positions.length * size);
    const labels = new Int32Array(positions.length);
    const ids = new Float64Array(positions.length);
    for (let i = 0; i < positions.length; i++) {
      const p = positions[i];
      images.set(this.images.subarray(p * size, (p + 1) * size), i * size);
      labels[i] = this.labels[p];
      ids[i] = this.ids ? this.ids[p] : p;
    }
    return new InMemoryDataSource({ images, labels, ids, imageShape: this.imageShape, numClasses: this.numClasses });
  }

  async *batches(order: ArrayLike<number>, batchSize: number): AsyncIterable<ImageBatch> {
    const size = imageSize(this.imageShape);
    for (let start = 0; start < order.length; start += batchSize) {
      const count = Math.min(batchSize, order.length - start);
      const images = new Uint8Array(count * size);
      const labels = new Int32Array(count);
      const ids = new Float64Array(count);
      for (let i = 0; i < count; i++) {
        const p = order[start + i];
        if (!(p >= 0 && p < this.size)) throw new RangeError(`Position ${p} is outside 0..${this.size - 1}.`);
        images.set(this.images.subarray(p * size, (p + 1) * size), i * size);
        labels[i] = this.labels[p];
        ids[i] = this.ids ? this.ids[p] : p;
      }
      yield { images, labels, ids };
    }
  }
}
