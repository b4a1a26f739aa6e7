/**
 * Per-channel input normalisation. The paper subtracts the mean RGB of the training images (spec §4.1);
 * the ImageNet recipe also divides by the std (§4.2), which is what this does, per channel. Statistics
 * come from the training split only, so validation never leaks into training (spec §4.3).
 */
import { sequentialOrder, type DataSource } from './dataSource.js';

/** Per-channel mean and standard deviation of pixels scaled to [0, 1]; one entry per channel. */
export interface ChannelStats {
  mean: number[];
  std: number[];
}

/** Images of a source are read once; sums are float64, so millions of pixels lose no precision. */
export async function computeChannelStats(source: DataSource, batchSize = 256): Promise<ChannelStats> {
  const channels = source.imageShape[2];
  const sum = new Float64Array(channels);
  const sumSquares = new Float64Array(channels);
  let pixels = 0;
  for await (const batch of source.batches(sequentialOrder(source.size), batchSize)) {
    const data = batch.images;
    for (let i = 0; i < data.length; i += channels) {
      for (let c = 0; c < channels; c++) {
        const v = data[i + c];
        sum[c] += v;
        sumSquares[c] += v * v;
      }
    }
    pixels += data.length / channels;
  }
  if (pixels === 0) throw new Error('Cannot compute normalisation statistics of an empty training set.');
  const mean: number[] = [];
  const std: number[] = [];
  for (let c = 0; c < channels; c++) {
    const m = sum[c] / pixels;
    const variance = Math.max(0, sumSquares[c] / pixels - m * m);
    mean.push(m / 255);
    // A constant channel (a blank test image) would divide by zero; 1/255 is one grey level.
    std.push(Math.max(Math.sqrt(variance) / 255, 1 / 255));
  }
  return { mean, std };
}

export function checkChannelStats(stats: ChannelStats, channels: number): void {
  if (stats.mean.length !== channels || stats.std.length !== channels) {
    throw new Error(`Normalisation statistics have ${stats.mean.length} channels; the images have ${channels}.`);
  }
}
