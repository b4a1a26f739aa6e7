/** A mask as pixels on a canvas: the DOM half of the colour maps. */
import { colormapTable, type ColormapName } from './colormaps.js';

/**
 * A mask (0..255 per pixel) coloured through a map, every pixel at the same opacity (0..1). With
 * `stretch`, the mask's own min..max spans the whole map: early in training a sigmoid mask sits near
 * 0.5 everywhere, and its structure only shows stretched.
 */
export function maskImageData(values: Uint8Array, width: number, height: number, colormap: ColormapName, opacity: number, stretch = false): ImageData {
  const table = colormapTable(colormap);
  const image = new ImageData(width, height);
  const alpha = Math.round(Math.min(1, Math.max(0, opacity)) * 255);
  let low = 0;
  let high = 255;
  if (stretch) {
    low = 255;
    high = 0;
    for (let p = 0; p < width * height; p++) {
      low = Math.min(low, values[p]!);
      high = Math.max(high, values[p]!);
    }
  }
  const scale = high > low ? 255 / (high - low) : 0;
  for (let p = 0; p < width * height; p++) {
    const v = Math.round((values[p]! - low) * scale) * 3;
    image.data[p * 4] = table[v]!;
    image.data[p * 4 + 1] = table[v + 1]!;
    image.data[p * 4 + 2] = table[v + 2]!;
    image.data[p * 4 + 3] = alpha;
  }
  return image;
}
