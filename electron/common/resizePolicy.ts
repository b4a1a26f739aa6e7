/**
 * How a photo of any shape becomes the model's square input. A run keeps one policy for everything
 * it does (training, validation, evaluation, masks, predictions, the Try view and exports), so the
 * model always sees photos the way it was trained on them.
 *
 * - squash: the whole photo stretched to the square (aspect ratio not kept, nothing lost);
 * - centre-crop: the largest centred square of the photo, scaled (the edges of the longer side are cut);
 * - letterbox: the whole photo scaled to fit inside the square, the rest filled with black.
 */
export const resizePolicies = ['squash', 'centre-crop', 'letterbox'] as const;
export type ResizePolicy = (typeof resizePolicies)[number];

/** Runs stored before the choice existed squashed every photo. */
export const DEFAULT_RESIZE_POLICY: ResizePolicy = 'squash';

export function resizePolicyOf(config: { resizePolicy?: ResizePolicy | undefined }): ResizePolicy {
  return config.resizePolicy ?? DEFAULT_RESIZE_POLICY;
}

export function isResizePolicy(value: unknown): value is ResizePolicy {
  return typeof value === 'string' && (resizePolicies as readonly string[]).includes(value);
}

/** The colour of a letterbox's bars, 0..255 per channel: zero, like the CIFAR recipe's padding. */
export const LETTERBOX_FILL = 0;

/**
 * The rectangle of a photo (its pixels after EXIF orientation) that the model's square input shows:
 * the whole photo (squash), its centred square (centre-crop), or a square larger than the photo
 * that reaches past its shorter sides (letterbox: negative x or y). A mask of the model's input
 * covers exactly this rectangle.
 */
export function modelViewRegion(policy: ResizePolicy, width: number, height: number): { x: number; y: number; width: number; height: number } {
  if (policy === 'squash') return { x: 0, y: 0, width, height };
  const side = policy === 'centre-crop' ? Math.min(width, height) : Math.max(width, height);
  return { x: (width - side) / 2, y: (height - side) / 2, width: side, height: side };
}

/** One sentence for preprocessing.json, the CLI's help and the training form. */
export function describeResizePolicy(policy: ResizePolicy, size: number): string {
  if (policy === 'squash') return `stretch the whole image to ${size}x${size} pixels (aspect ratio not kept, nothing cropped)`;
  if (policy === 'centre-crop') {
    return `scale the image so that its shorter side is ${size} pixels and keep the centred ${size}x${size} square (the ends of the longer side are cut off)`;
  }
  return `scale the image so that its longer side is ${size} pixels and centre it on a black ${size}x${size} square (the whole image kept, bars above and below or left and right)`;
}
