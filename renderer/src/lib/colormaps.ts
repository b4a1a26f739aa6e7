/**
 * Colour maps for attention masks, as 256-entry RGB lookup tables built by linear interpolation
 * between a few anchor colours (perceptually ordered dark → light, except 'turbo', which trades that
 * for contrast). Plain data, no DOM: maskImage.ts draws with them.
 */

export const colormapNames = ['inferno', 'viridis', 'turbo', 'grey'] as const;
export type ColormapName = (typeof colormapNames)[number];

const anchors: Record<ColormapName, [number, number, number][]> = {
  inferno: [[0, 0, 4], [40, 11, 84], [101, 21, 110], [159, 42, 99], [212, 72, 66], [245, 125, 21], [250, 193, 39], [252, 255, 164]],
  viridis: [[68, 1, 84], [70, 50, 127], [54, 92, 141], [39, 127, 142], [31, 161, 135], [74, 194, 109], [159, 218, 58], [253, 231, 37]],
  turbo: [[48, 18, 59], [70, 107, 227], [40, 187, 236], [49, 242, 153], [162, 252, 60], [237, 208, 58], [251, 128, 34], [122, 4, 3]],
  grey: [[0, 0, 0], [255, 255, 255]],
};

const tables = new Map<ColormapName, Uint8ClampedArray>();

/** 256 x RGB. */
export function colormapTable(name: ColormapName): Uint8ClampedArray {
  const cached = tables.get(name);
  if (cached) return cached;
  const points = anchors[name];
  const table = new Uint8ClampedArray(256 * 3);
  for (let v = 0; v < 256; v++) {
    const position = (v / 255) * (points.length - 1);
    const i = Math.min(points.length - 2, Math.floor(position));
    const t = position - i;
    for (let c = 0; c < 3; c++) table[v * 3 + c] = points[i]![c]! + (points[i + 1]![c]! - points[i]![c]!) * t;
  }
  tables.set(name, table);
  return table;
}

/** CSS gradient of a colour map, for legends. */
export function colormapGradient(name: ColormapName): string {
  const table = colormapTable(name);
  const stops = [0, 64, 128, 192, 255].map((v) => `rgb(${table[v * 3]} ${table[v * 3 + 1]} ${table[v * 3 + 2]}) ${((v / 255) * 100).toFixed(0)}%`);
  return `linear-gradient(to right, ${stops.join(', ')})`;
}

export function base64Bytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** "stage2_attn1_mask" → "Stage 2 · module 1". */
export function moduleLabel(module: string): string {
  const match = /^stage(\d+)_attn(\d+)_mask$/.exec(module);
  return match ? `Stage ${match[1]} · module ${match[2]}` : module;
}
