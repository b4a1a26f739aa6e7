/**
 * Augmentation for photos: a random-resized crop (Szegedy et al. 2015, "Going deeper with
 * convolutions"; torchvision's RandomResizedCrop) and colour jitter (torchvision's ColorJitter:
 * brightness, contrast, saturation), beside the CIFAR recipe's pad-and-crop in preprocess.ts.
 *
 * Both work on the cached input itself (the run's size x size pixels), not on a larger decode: the
 * cache then stays one square per image, an epoch still never decodes a file, and the crop costs one
 * bilinear resample in JavaScript. The price is that a small crop is upsampled from fewer pixels (a
 * crop of 30 % of a 64 px input is ~35 px wide) and so is softer than a crop of the original photo;
 * at the sizes the studio trains on two cores (32-96 px) that blur is of the order of the one the
 * cached Lanczos downscale already applies, and a second cache at twice the size would cost 4x the
 * disk and decode time per run.
 */
import type { Random } from './random.js';

export interface RandomResizedCropConfig {
  /** Range of the crop's area as a share of the image's (torchvision: [0.08, 1]). */
  scale: [number, number];
  /** Range of the crop's width / height, drawn log-uniformly (torchvision: [3/4, 4/3]). */
  ratio: [number, number];
}

export interface ColourJitterConfig {
  /** Each factor is drawn uniformly from [max(0, 1 - x), 1 + x]; 0 turns that part off. */
  brightness: number;
  contrast: number;
  saturation: number;
}

/** torchvision's RandomResizedCrop defaults. */
export const torchvisionCrop: RandomResizedCropConfig = { scale: [0.08, 1], ratio: [3 / 4, 4 / 3] };

/** Mild colour jitter: photos vary this much in exposure and white balance without changing class. */
export const mildColourJitter: ColourJitterConfig = { brightness: 0.2, contrast: 0.2, saturation: 0.2 };

export interface CropBox {
  top: number;
  left: number;
  height: number;
  width: number;
}

/**
 * torchvision's RandomResizedCrop.get_params: up to ten tries at a box of the drawn area and aspect
 * ratio that fits; otherwise the whole image cut to the nearest allowed aspect ratio, centred.
 */
export function randomCropBox(height: number, width: number, config: RandomResizedCropConfig, random: Random): CropBox {
  const area = height * width;
  const logLow = Math.log(config.ratio[0]);
  const logHigh = Math.log(config.ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * (config.scale[0] + random.nextFloat() * (config.scale[1] - config.scale[0]));
    const aspect = Math.exp(logLow + random.nextFloat() * (logHigh - logLow));
    const w = Math.round(Math.sqrt(target * aspect));
    const h = Math.round(Math.sqrt(target / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      return { top: random.nextInt(height - h + 1), left: random.nextInt(width - w + 1), height: h, width: w };
    }
  }
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < config.ratio[0]) h = Math.round(w / config.ratio[0]);
  else if (inRatio > config.ratio[1]) w = Math.round(h * config.ratio[1]);
  return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), height: h, width: w };
}

export interface JitterFactors {
  brightness: number;
  contrast: number;
  saturation: number;
}

function factor(amount: number, random: Random): number {
  return amount > 0 ? Math.max(0, 1 - amount) + random.nextFloat() * (1 + amount - Math.max(0, 1 - amount)) : 1;
}

/** One image's jitter factors, drawn in a fixed order (brightness, contrast, saturation). */
export function drawJitter(config: ColourJitterConfig, random: Random): JitterFactors {
  return { brightness: factor(config.brightness, random), contrast: factor(config.contrast, random), saturation: factor(config.saturation, random) };
}

const LUMA = [0.299, 0.587, 0.114] as const;

/**
 * Writes one augmented image, 0..255 floats HWC, into `out` at `offset`: the crop box resampled
 * bilinearly to the full size (pixel centres aligned, as torch's interpolate with align_corners=False),
 * mirrored if `flip`, then brightness, contrast and saturation applied in that order and clamped to
 * 0..255 (torchvision applies them in a random order; a fixed one keeps the draws simple and the
 * result within the same ranges).
 */
export function augmentPhoto(
  image: Uint8Array,
  offsetIn: number,
  shape: readonly [number, number, number],
  box: CropBox,
  flip: boolean,
  jitter: JitterFactors | null,
  out: Float32Array,
  offset: number,
): void {
  const [height, width, channels] = shape;
  const sy = box.height / height;
  const sx = box.width / width;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), box.height - 1) + box.top;
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, box.top + box.height - 1);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const xc = flip ? width - 1 - x : x;
      const fx = Math.min(Math.max((xc + 0.5) * sx - 0.5, 0), box.width - 1) + box.left;
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, box.left + box.width - 1);
      const wx = fx - x0;
      const a = offsetIn + (y0 * width + x0) * channels;
      const b = offsetIn + (y0 * width + x1) * channels;
      const c = offsetIn + (y1 * width + x0) * channels;
      const d = offsetIn + (y1 * width + x1) * channels;
      const dst = offset + (y * width + x) * channels;
      for (let ch = 0; ch < channels; ch++) {
        const top = image[a + ch]! + (image[b + ch]! - image[a + ch]!) * wx;
        const bottom = image[c + ch]! + (image[d + ch]! - image[c + ch]!) * wx;
        out[dst + ch] = top + (bottom - top) * wy;
      }
    }
  }
  if (jitter) applyJitter(out, offset, height * width, channels, jitter);
}

function clamp255(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

function greyOf(pixels: Float32Array, at: number, channels: number): number {
  return channels === 3 ? LUMA[0] * pixels[at]! + LUMA[1] * pixels[at + 1]! + LUMA[2] * pixels[at + 2]! : pixels[at]!;
}

/** torchvision's adjust_brightness, adjust_contrast (around the image's mean grey) and adjust_saturation, each clamped. */
function applyJitter(pixels: Float32Array, offset: number, count: number, channels: number, jitter: JitterFactors): void {
  const end = offset + count * channels;
  if (jitter.brightness !== 1) for (let i = offset; i < end; i++) pixels[i] = clamp255(pixels[i]! * jitter.brightness);
  if (jitter.contrast !== 1) {
    let sum = 0;
    for (let p = offset; p < end; p += channels) sum += greyOf(pixels, p, channels);
    const mean = sum / count;
    for (let i = offset; i < end; i++) pixels[i] = clamp255(mean + (pixels[i]! - mean) * jitter.contrast);
  }
  if (jitter.saturation !== 1 && channels === 3) {
    for (let p = offset; p < end; p += 3) {
      const grey = greyOf(pixels, p, 3);
      for (let c = 0; c < 3; c++) pixels[p + c] = clamp255(grey + (pixels[p + c]! - grey) * jitter.saturation);
    }
  }
}
