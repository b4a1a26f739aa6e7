import { describe, expect, it } from 'vitest';
import { InMemoryDataSource } from './dataSource.js';
import { computeChannelStats } from './normalization.js';
import { prepareImages } from './preprocess.js';
import { Random } from './random.js';

const identity = { mean: [0, 0, 0], std: [1 / 255, 1 / 255, 1 / 255] }; // output = raw pixel value

/** A 4x4 RGB image whose pixel (y, x) has channels [10y + x, 100 + 10y + x, 200]. */
function ramp(): Uint8Array {
  const image = new Uint8Array(4 * 4 * 3);
  for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) image.set([10 * y + x, 100 + 10 * y + x, 200], (y * 4 + x) * 3);
  return image;
}

const pixel = (data: Float32Array, y: number, x: number, n = 0) => Array.from(data.subarray(n * 48 + (y * 4 + x) * 3, n * 48 + (y * 4 + x) * 3 + 3)).map((v) => Math.round(v) + 0); // + 0 turns -0 into 0

describe('prepareImages', () => {
  it('normalises each channel with the given mean and std of [0, 1] pixels', () => {
    const out = prepareImages(ramp(), 1, [4, 4, 3], { mean: [0.5, 0, 1], std: [0.5, 1, 2] });
    expect(out).toHaveLength(48);
    expect(out[0]).toBeCloseTo((0 / 255 - 0.5) / 0.5, 6);
    expect(out[1]).toBeCloseTo(100 / 255, 6);
    expect(out[2]).toBeCloseTo((200 / 255 - 1) / 2, 6);
  });

  it('leaves images unaugmented without a generator (evaluation)', () => {
    const out = prepareImages(ramp(), 1, [4, 4, 3], identity, { padding: 2, horizontalFlip: true });
    expect(pixel(out, 1, 2)).toEqual([12, 112, 200]);
  });

  it('mirrors left-right and pads with black when cropping', () => {
    let flipped: Float32Array | undefined;
    let shifted: Float32Array | undefined;
    for (let seed = 0; seed < 200 && !(flipped && shifted); seed++) {
      const flipOut = prepareImages(ramp(), 1, [4, 4, 3], identity, { padding: 0, horizontalFlip: true }, new Random(seed));
      if (pixel(flipOut, 0, 0)[0] === 3) flipped = flipOut;
      const cropOut = prepareImages(ramp(), 1, [4, 4, 3], identity, { padding: 1, horizontalFlip: false }, new Random(seed));
      // Offset (dy, dx) = (+1, +1): output (y, x) shows input (y + 1, x + 1); the last row/column is padding.
      if (pixel(cropOut, 0, 0)[0] === 11) shifted = cropOut;
    }
    expect(pixel(flipped!, 2, 1)).toEqual([22, 122, 200]);
    expect(pixel(shifted!, 2, 2)).toEqual([33, 133, 200]);
    expect(pixel(shifted!, 3, 0)).toEqual([0, 0, 0]);
    expect(pixel(shifted!, 0, 3)).toEqual([0, 0, 0]);
  });

  it('draws the same crops and flips for the same seed and different ones for another', () => {
    const batch = new Uint8Array(16 * 48);
    for (let n = 0; n < 16; n++) batch.set(ramp(), n * 48);
    const config = { padding: 2, horizontalFlip: true };
    const a = prepareImages(batch, 16, [4, 4, 3], identity, config, new Random(9));
    expect(a).toHaveLength(16 * 48);
    expect(prepareImages(batch, 16, [4, 4, 3], identity, config, new Random(9))).toEqual(a);
    expect(prepareImages(batch, 16, [4, 4, 3], identity, config, new Random(10))).not.toEqual(a);
    // Each image draws its own augmentation: not all 16 copies come out alike.
    const distinct = new Set(Array.from({ length: 16 }, (_, n) => a.subarray(n * 48, (n + 1) * 48).join(',')));
    expect(distinct.size).toBeGreaterThan(4);
  });
});

describe('computeChannelStats', () => {
  it('measures per-channel mean and std of the training images in [0, 1] units', async () => {
    // Two 1x1 RGB images: channel 0 is 0 and 255 (mean 0.5, std 0.5), channel 1 constant, channel 2 51 both.
    const source = new InMemoryDataSource({ images: Uint8Array.from([0, 7, 51, 255, 7, 51]), labels: [0, 1], imageShape: [1, 1, 3], numClasses: 2 });
    const stats = await computeChannelStats(source, 1);
    expect(stats.mean[0]).toBeCloseTo(0.5, 6);
    expect(stats.std[0]).toBeCloseTo(0.5, 6);
    expect(stats.mean[1]).toBeCloseTo(7 / 255, 6);
    expect(stats.std[1]).toBeCloseTo(1 / 255, 6); // a constant channel gets a floor, not a division by zero
    expect(stats.mean[2]).toBeCloseTo(0.2, 6);
  });

  it('refuses an empty training set with a message', async () => {
    const empty = new InMemoryDataSource({ images: new Uint8Array(0), labels: [], imageShape: [2, 2, 1], numClasses: 2 });
    await expect(computeChannelStats(empty)).rejects.toThrow(/empty training set/);
  });
});
