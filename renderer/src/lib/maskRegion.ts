/**
 * Where a run's square input sat on the photo, so an attention mask (which covers the whole input) is
 * drawn over exactly the part of the photo the model saw. The answer is a box in fractions of the photo's
 * own width and height; parts of it outside 0..1 (a letterbox's padding) fall off the photo and are clipped.
 */
export type ResizePolicy = 'squash' | 'centre-crop' | 'letterbox';

export interface MaskRegion {
  left: number;
  top: number;
  width: number;
  height: number;
}

export function maskRegion(policy: ResizePolicy, width: number, height: number): MaskRegion {
  const whole = { left: 0, top: 0, width: 1, height: 1 };
  if (policy === 'squash' || !(width > 0 && height > 0) || width === height) return whole;
  const landscape = width > height;
  if (policy === 'centre-crop') {
    // The central square, as long as the shorter side.
    return landscape
      ? { left: (1 - height / width) / 2, top: 0, width: height / width, height: 1 }
      : { left: 0, top: (1 - width / height) / 2, width: 1, height: width / height };
  }
  // Letterbox: the square is as long as the longer side, the photo centred in it.
  return landscape
    ? { left: 0, top: (1 - width / height) / 2, width: 1, height: width / height }
    : { left: (1 - height / width) / 2, top: 0, width: height / width, height: 1 };
}
