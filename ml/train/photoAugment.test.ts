import { describe, expect, it } from 'vitest';
import { augmentPhoto, drawJitter, mildColourJitter, randomCropBox, torchvisionCrop } from './photoAugment.js';
import { prepareImages } from './preprocess.js';
import { Random } from './random.js';

const identity = { mean: [0, 0, 0], std: [1 / 255, 1 / 255, 1 / 255] }; // output = pixel value, 0..255

/** A size x size RGB photo-like image: a horizontal ramp in red, a vertical one in green, constant blue. */
function gradient(size: number): Uint8Array {
  const image = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) image.set([Math.round((255 * x) / (size - 1)), Math.round((255 * y) / (size - 1)), 90], (y * size + x) * 3);
  }
  return image;
}

describe('random-resized-crop boxes', () => {
  it.each([
    { height: 64, width: 64 },
    { height: 32, width: 48 },
    { height: 9, width: 9 },
  ])('stay inside a $height x $width image with area and aspect ratio in torchvision\'s default ranges', ({ height, width }) => {
    const random = new Random(3);
    const areas: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const box = randomCropBox(height, width, torchvisionCrop, random);
      expect(box.top).toBeGreaterThanOrEqual(0);
      expect(box.left).toBeGreaterThanOrEqual(0);
      expect(box.top + box.height).toBeLessThanOrEqual(height);
      expect(box.left + box.width).toBeLessThanOrEqual(width);
      expect(box.height).toBeGreaterThan(0);
      expect(box.width).toBeGreaterThan(0);
      areas.push((box.height * box.width) / (height * width));
      if (height >= 32) {
        // Rounding a side to whole pixels moves the ratio a little past the range on small boxes.
        const ratio = box.width / box.height;
        expect(ratio).toBeGreaterThan((3 / 4) * 0.8);
        expect(ratio).toBeLessThan((4 / 3) * 1.25);
      }
    }
    if (height >= 32) {
      expect(Math.min(...areas)).toBeLessThan(0.12);
      // The largest box of allowed ratio covers 32 x 42 of a 32 x 48 image (0.875), all of a square one.
      expect(Math.max(...areas)).toBeGreaterThan(0.85);
      // Uniform area in [0.08, 1] has mean 0.54; large boxes that do not fit a narrow image are retried, which lowers it.
      const mean = areas.reduce((a, b) => a + b, 0) / areas.length;
      expect(mean).toBeGreaterThan(0.35);
      expect(mean).toBeLessThan(0.6);
    }
  });

  it('falls back to the centred whole image cut to the allowed ratio when no box fits', () => {
    // Scale over 1 never fits: torchvision then crops a 1:3 strip to the nearest allowed ratio (3:4).
    const box = randomCropBox(30, 10, { scale: [2, 3], ratio: [3 / 4, 4 / 3] }, new Random(1));
    expect(box).toEqual({ top: 8, left: 0, height: 13, width: 10 });
  });
});

describe('resampling a crop', () => {
  it('gives the image back for the whole-image box, and its mirror when flipped', () => {
    const image = gradient(8);
    const out = new Float32Array(image.length);
    augmentPhoto(image, 0, [8, 8, 3], { top: 0, left: 0, height: 8, width: 8 }, false, null, out, 0);
    expect(Array.from(out)).toEqual(Array.from(image));
    augmentPhoto(image, 0, [8, 8, 3], { top: 0, left: 0, height: 8, width: 8 }, true, null, out, 0);
    expect(out[0]).toBe(255); // the right edge's red is now on the left
    expect(out[(8 - 1) * 3]).toBe(0);
  });

  it('zooms into the box: the top-left quarter of a ramp spans half the red range', () => {
    const image = gradient(16);
    const out = new Float32Array(image.length);
    augmentPhoto(image, 0, [16, 16, 3], { top: 0, left: 0, height: 8, width: 8 }, false, null, out, 0);
    const reds = Array.from({ length: 16 }, (_, x) => out[x * 3]!);
    expect(reds[0]).toBe(0);
    expect(reds[15]).toBeCloseTo((255 * 7) / 15, 0);
    for (let x = 1; x < 16; x++) expect(reds[x]).toBeGreaterThanOrEqual(reds[x - 1]!);
  });
});

describe('colour jitter', () => {
  it('draws factors within [1 - x, 1 + x] for each part', () => {
    const random = new Random(5);
    for (let i = 0; i < 1000; i++) {
      const f = drawJitter({ brightness: 0.4, contrast: 0.2, saturation: 1.5 }, random);
      expect(f.brightness).toBeGreaterThanOrEqual(0.6);
      expect(f.brightness).toBeLessThanOrEqual(1.4);
      expect(f.contrast).toBeGreaterThanOrEqual(0.8);
      expect(f.contrast).toBeLessThanOrEqual(1.2);
      expect(f.saturation).toBeGreaterThanOrEqual(0);
      expect(f.saturation).toBeLessThanOrEqual(2.5);
    }
  });

  it('brightens, flattens contrast and removes saturation as torchvision does, staying in 0..255', () => {
    const image = gradient(4);
    const out = new Float32Array(image.length);
    const whole = { top: 0, left: 0, height: 4, width: 4 };
    augmentPhoto(image, 0, [4, 4, 3], whole, false, { brightness: 2, contrast: 1, saturation: 1 }, out, 0);
    expect(Math.max(...out)).toBe(255);
    expect(out[3 * 4 * 3 + 1]).toBe(255); // green 255 doubled, clamped
    expect(out[2]).toBe(180); // blue 90 doubled
    augmentPhoto(image, 0, [4, 4, 3], whole, false, { brightness: 1, contrast: 0, saturation: 1 }, out, 0);
    expect(new Set(Array.from(out).map((v) => Math.round(v * 1000))).size).toBe(1); // every value = the mean grey
    augmentPhoto(image, 0, [4, 4, 3], whole, false, { brightness: 1, contrast: 1, saturation: 0 }, out, 0);
    for (let p = 0; p < 16; p++) {
      expect(out[p * 3]).toBeCloseTo(out[p * 3 + 1]!, 4);
      expect(out[p * 3 + 1]).toBeCloseTo(out[p * 3 + 2]!, 4);
    }
  });
});

describe('prepareImages with photo augmentation', () => {
  const config = { padding: 0, horizontalFlip: true, randomResizedCrop: torchvisionCrop, colourJitter: mildColourJitter };
  const batch = new Uint8Array(12 * 16 * 16 * 3);
  for (let n = 0; n < 12; n++) batch.set(gradient(16), n * 16 * 16 * 3);

  it('is reproducible: the same seed gives the same batch, another seed another', () => {
    const a = prepareImages(batch, 12, [16, 16, 3], identity, config, new Random(42));
    expect(prepareImages(batch, 12, [16, 16, 3], identity, config, new Random(42))).toEqual(a);
    expect(prepareImages(batch, 12, [16, 16, 3], identity, config, new Random(43))).not.toEqual(a);
    const distinct = new Set(Array.from({ length: 12 }, (_, n) => a.subarray(n * 768, (n + 1) * 768).join(',')));
    expect(distinct.size).toBe(12);
    for (const v of a) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(255);
    }
  });

  it('leaves evaluation images untouched (no generator)', () => {
    expect(Array.from(prepareImages(batch, 12, [16, 16, 3], identity, config))).toEqual(Array.from(batch));
  });

  it('changes the mean level of an uncropped image by little under mild jitter (factors 0.8-1.2)', () => {
    const whole = { ...config, randomResizedCrop: { scale: [1, 1] as [number, number], ratio: [1, 1] as [number, number] }, horizontalFlip: false };
    const out = prepareImages(batch, 12, [16, 16, 3], identity, whole, new Random(7));
    const meanOf = (data: ArrayLike<number>, n: number) => {
      let sum = 0;
      for (let i = n * 768; i < (n + 1) * 768; i++) sum += data[i]!;
      return sum / 768;
    };
    const original = meanOf(batch, 0);
    for (let n = 0; n < 12; n++) expect(Math.abs(meanOf(out, n) - original) / original).toBeLessThan(0.3);
  });
});
