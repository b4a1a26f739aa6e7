/**
 * Where a run's square input sat on the photo, so an attention mask (which covers the whole input) is
 * drawn over exactly the part of the photo the model saw. The answer is a box in fractions of the photo's
 * own width and height; parts of it outside 0..1 (a letterbox's padding) fall off the photo and are clipped.
 * The rectangle itself is the one the main process crops masks to (electron/common/resizePolicy.ts).
 */
import { modelViewRegion, type ResizePolicy } from '../../../electron/common/resizePolicy.js';

export type { ResizePolicy };

export interface MaskRegion {
  left: number;
  top: number;
  width: number;
  height: number;
}

export function maskRegion(policy: ResizePolicy, width: number, height: number): MaskRegion {
  if (!(width > 0 && height > 0)) return { left: 0, top: 0, width: 1, height: 1 };
  const region = modelViewRegion(policy, width, height);
  return { left: region.x / width, top: region.y / height, width: region.width / width, height: region.height / height };
}
