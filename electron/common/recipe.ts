/**
 * Defaults of the training recipe that depend on the model or the data, in one place for the studio's
 * form, the CLI and the training worker.
 */

/**
 * L2 weight decay: the paper's 1e-4 for the paper-size networks (spec §4.1), 5e-4 for the small lite
 * models of 0.07-0.26 M parameters (spec §4.3), which overfit a small data set sooner.
 */
export function defaultWeightDecay(model: string): number {
  return model.startsWith('lite-') ? 5e-4 : 1e-4;
}

const DIGIT_WORDS = new Set(['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine']);

/**
 * Whether to mirror training images left-right, from the class names: off for digits and characters,
 * where a mirror image is another symbol or none (spec §4.3: "not for digits"), on otherwise.
 */
export function defaultHorizontalFlip(classNames: readonly string[]): { flip: boolean; reason: string } {
  const names = classNames.map((n) => n.trim().toLowerCase()).filter((n) => n.length > 0);
  if (names.length === 0) return { flip: true, reason: 'no classes yet: flipping is the usual choice for photos' };
  const digits = names.every((n) => /^\d+$/.test(n) || DIGIT_WORDS.has(n));
  if (digits) return { flip: false, reason: 'the classes are digits, and a mirrored digit is not the same digit' };
  const characters = names.every((n) => [...n].length === 1);
  if (characters) return { flip: false, reason: 'the classes are single characters, and mirrored text changes its meaning' };
  return { flip: true, reason: 'photos of objects look the same mirrored left-right' };
}

/** The source images' typical shorter side (px) from which a data set counts as photos rather than CIFAR-like thumbnails. */
export const PHOTO_SHORT_SIDE = 64;

/** torchvision's RandomResizedCrop defaults: 8-100 % of the area, aspect ratio 3:4 to 4:3. */
export const photoRandomResizedCrop = { scale: [0.08, 1] as [number, number], ratio: [3 / 4, 4 / 3] as [number, number] };
/** Mild colour jitter: photos vary this much in exposure and white balance without changing class. */
export const photoColourJitter = { brightness: 0.2, contrast: 0.2, saturation: 0.2 };

/**
 * The augmentation for a data set whose images' median shorter side is `medianShortSide` pixels:
 * small CIFAR-like images keep the paper's pad-and-crop (spec §4.1); photos get random-resized-crop
 * and mild colour jitter, which a random shift of a few pixels cannot stand in for when a photo
 * shows its subject at any scale and exposure.
 */
export function defaultAugmentation(medianShortSide: number | null): { preset: 'cifar' | 'photo'; reason: string } {
  if (medianShortSide === null) return { preset: 'cifar', reason: 'no labelled images to measure: the CIFAR recipe' };
  if (medianShortSide >= PHOTO_SHORT_SIDE) {
    return { preset: 'photo', reason: `the images are photos (median shorter side ${medianShortSide} px): random-resized-crop, mild colour jitter` };
  }
  return { preset: 'cifar', reason: `the images are small (median shorter side ${medianShortSide} px), like CIFAR's 32 px: pad-and-crop` };
}

interface AugmentationFields {
  preset?: 'auto' | 'cifar' | 'photo' | undefined;
  padding: number;
  horizontalFlip: boolean;
  randomResizedCrop?: { scale: [number, number]; ratio: [number, number] } | undefined;
  colourJitter?: { brightness: number; contrast: number; saturation: number } | undefined;
}

/** A run's augmentation with its preset applied: 'auto' resolved by image size, 'photo' given its crop and jitter unless set. */
export function resolveAugmentation<A extends AugmentationFields>(augmentation: A, medianShortSide: number | null): { augmentation: A; reason: string | null } {
  let reason: string | null = null;
  let preset = augmentation.preset;
  if (preset === 'auto') ({ preset, reason } = defaultAugmentation(medianShortSide));
  if (preset === 'photo') {
    return {
      augmentation: {
        ...augmentation,
        preset,
        padding: 0,
        randomResizedCrop: augmentation.randomResizedCrop ?? photoRandomResizedCrop,
        colourJitter: augmentation.colourJitter ?? photoColourJitter,
      },
      reason,
    };
  }
  return { augmentation: { ...augmentation, ...(preset ? { preset } : {}) }, reason };
}

/**
 * What the studio trains photos with on a CPU by default (bench:photos uses it; the training form's
 * defaults are the same): the small lite-32 network (0.26 M parameters) at 32x32. Chosen by
 * measurement: with a 20-minute budget on two cores, 1,080 cat and dog photos reached 72.8 % held out
 * at 32x32 (67 epochs) and 62.0 % at 64x64 (19 epochs): within minutes, more epochs beat more pixels.
 * Larger sizes pay off with hours or a GPU.
 */
export const photoRunDefaults = { model: 'lite-32', imageSize: 32 } as const;
