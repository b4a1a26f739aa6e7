/**
 * Turns a batch of uint8 HWC images into the network's float input: optional random crop and flip
 * (training only), then per-channel normalisation, all in one pass over the pixels in JavaScript.
 * One pass over uint8 writes each float once; the same work as tf ops would allocate a padded copy,
 * a cropped copy, a flipped copy and two normalisation temporaries per batch.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageShape } from './dataSource.js';
import type { ChannelStats } from './normalization.js';
import { augmentPhoto, drawJitter, randomCropBox, type ColourJitterConfig, type RandomResizedCropConfig } from './photoAugment.js';
import type { Random } from './random.js';

/**
 * CIFAR recipe of the paper (spec §4.1): pad 4 pixels with zeros, take a random crop of the original
 * size, flip horizontally with probability 1/2. Tests use the unaugmented image (spec §4.1: "test on
 * the original 32x32 image").
 */
export interface AugmentationConfig {
  /** Black pixels added on every side before cropping back to the input size; 0 turns cropping off. */
  padding: number;
  /** Mirror left-right with probability 1/2. Off for digits and text, where mirroring changes the class (spec §4.3). */
  horizontalFlip: boolean;
  /** Photos: a random crop of random area and aspect ratio, resized back to the input (photoAugment.ts); replaces pad-and-crop. */
  randomResizedCrop?: RandomResizedCropConfig | undefined;
  /** Photos: random brightness, contrast and saturation per image (photoAugment.ts). */
  colourJitter?: ColourJitterConfig | undefined;
}

export const noAugmentation: AugmentationConfig = { padding: 0, horizontalFlip: false };

/** The paper's CIFAR augmentation (spec §4.1), for 32x32 RGB. */
export const cifarAugmentation: AugmentationConfig = { padding: 4, horizontalFlip: true };

/**
 * Normalised float pixels for `count` images, HWC. With `augmentation` and `random`, each image gets
 * its own crop offset and flip, drawn in image order (offset y, offset x, flip), so a given generator
 * state always yields the same batch.
 */
export function prepareImages(
  images: Uint8Array,
  count: number,
  shape: ImageShape,
  stats: ChannelStats,
  augmentation: AugmentationConfig = noAugmentation,
  random?: Random,
): Float32Array {
  const [height, width, channels] = shape;
  const scale = stats.std.map((s) => 1 / (255 * s));
  const offset = stats.mean.map((m, c) => -m / stats.std[c]);
  const out = new Float32Array(count * height * width * channels);
  const imageSize = height * width * channels;
  const pad = augmentation.padding;
  if (random !== undefined && (augmentation.randomResizedCrop || augmentation.colourJitter)) {
    return preparePhotos(images, count, shape, scale, offset, augmentation, random);
  }
  const augmenting = random !== undefined && (pad > 0 || augmentation.horizontalFlip);
  if (!augmenting) {
    for (let i = 0; i < out.length; i += channels) {
      for (let c = 0; c < channels; c++) out[i + c] = images[i + c] * scale[c] + offset[c];
    }
    return out;
  }
  const rowSize = width * channels;
  for (let n = 0; n < count; n++) {
    const dy = pad > 0 ? random.nextInt(2 * pad + 1) - pad : 0;
    const dx = pad > 0 ? random.nextInt(2 * pad + 1) - pad : 0;
    const flip = augmentation.horizontalFlip && random.nextFloat() < 0.5;
    const src = n * imageSize;
    for (let y = 0; y < height; y++) {
      const sy = y + dy;
      const dstRow = n * imageSize + y * rowSize;
      for (let x = 0; x < width; x++) {
        // Crop first, then mirror the crop (torchvision's RandomCrop then RandomHorizontalFlip).
        const sx = (flip ? width - 1 - x : x) + dx;
        const dst = dstRow + x * channels;
        if (sy < 0 || sy >= height || sx < 0 || sx >= width) {
          // Padding is zero in pixel space (the paper pads with zeros before mean subtraction).
          for (let c = 0; c < channels; c++) out[dst + c] = offset[c];
        } else {
          const s = src + sy * rowSize + sx * channels;
          for (let c = 0; c < channels; c++) out[dst + c] = images[s + c] * scale[c] + offset[c];
        }
      }
    }
  }
  return out;
}

/**
 * The photo path: per image, in order, its crop box (the whole image without random-resized-crop),
 * its flip, then its jitter factors; pixels are augmented on the 0..255 scale, then normalised.
 */
function preparePhotos(
  images: Uint8Array,
  count: number,
  shape: ImageShape,
  scale: number[],
  offset: number[],
  augmentation: AugmentationConfig,
  random: Random,
): Float32Array {
  const [height, width, channels] = shape;
  const imageSize = height * width * channels;
  const out = new Float32Array(count * imageSize);
  const whole = { top: 0, left: 0, height, width };
  for (let n = 0; n < count; n++) {
    const box = augmentation.randomResizedCrop ? randomCropBox(height, width, augmentation.randomResizedCrop, random) : whole;
    const flip = augmentation.horizontalFlip && random.nextFloat() < 0.5;
    const jitter = augmentation.colourJitter ? drawJitter(augmentation.colourJitter, random) : null;
    augmentPhoto(images, n * imageSize, shape, box, flip, jitter, out, n * imageSize);
  }
  for (let i = 0; i < out.length; i += channels) {
    for (let c = 0; c < channels; c++) out[i + c] = out[i + c]! * scale[c]! + offset[c]!;
  }
  return out;
}

/** `prepareImages` as a `[count, h, w, c]` tensor; the caller owns (and disposes) it. */
export function imagesToTensor(
  images: Uint8Array,
  count: number,
  shape: ImageShape,
  stats: ChannelStats,
  augmentation?: AugmentationConfig,
  random?: Random,
): tf.Tensor4D {
  const data = prepareImages(images, count, shape, stats, augmentation, random);
  return tf.tensor4d(data, [count, shape[0], shape[1], shape[2]]);
}
