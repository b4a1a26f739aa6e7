/**
 * A minimal BMP decoder: sharp's libvips has no BMP loader. Covers what scanners, Paint and Python's
 * PIL write: uncompressed 1/4/8-bit palette, 24-bit, and 32-bit (plain or bit-field masks, with alpha
 * when a mask says so), bottom-up or top-down. RLE and 16-bit files are refused with their reason.
 */

export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 3 | 4;
}

export class BmpError extends Error {}

const BI_RGB = 0;
const BI_BITFIELDS = 3;
const BI_ALPHABITFIELDS = 6;

function maskShift(mask: number): { shift: number; max: number } {
  if (mask === 0) return { shift: 0, max: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  return { shift, max: mask >>> shift };
}

export function bmpDimensions(bytes: Buffer): { width: number; height: number } {
  if (bytes.length < 26) throw new BmpError('truncated BMP header');
  const headerSize = bytes.readUInt32LE(14);
  if (headerSize === 12) return { width: bytes.readUInt16LE(18), height: bytes.readUInt16LE(20) };
  return { width: bytes.readInt32LE(18), height: Math.abs(bytes.readInt32LE(22)) };
}

export function decodeBmp(bytes: Buffer, maxPixels: number): RawImage {
  if (bytes.length < 54) throw new BmpError('truncated BMP header');
  const pixelOffset = bytes.readUInt32LE(10);
  const headerSize = bytes.readUInt32LE(14);
  if (headerSize < 40) throw new BmpError(`unsupported BMP variant (OS/2 header of ${headerSize} bytes)`);
  const width = bytes.readInt32LE(18);
  const rawHeight = bytes.readInt32LE(22);
  const height = Math.abs(rawHeight);
  const topDown = rawHeight < 0;
  const bpp = bytes.readUInt16LE(28);
  const compression = bytes.readUInt32LE(30);
  if (width <= 0 || height <= 0) throw new BmpError(`invalid BMP dimensions ${width}x${rawHeight}`);
  if (width * height > maxPixels) throw new BmpError(`pixel limit: ${width}x${height}`);

  let masks: number[] | null = null;
  if (compression === BI_BITFIELDS || compression === BI_ALPHABITFIELDS) {
    if (bpp !== 32) throw new BmpError(`unsupported BMP variant (${bpp}-bit bit fields)`);
    const at = 14 + 40;
    const count = headerSize >= 56 || compression === BI_ALPHABITFIELDS ? 4 : 3;
    if (bytes.length < at + count * 4) throw new BmpError('truncated BMP header');
    masks = Array.from({ length: count }, (_, i) => bytes.readUInt32LE(at + i * 4));
    if (count === 3) masks.push(0);
  } else if (compression !== BI_RGB) {
    throw new BmpError(`unsupported BMP compression (type ${compression}; only uncompressed BMP is supported)`);
  }
  if (![1, 4, 8, 24, 32].includes(bpp)) throw new BmpError(`unsupported BMP variant (${bpp} bits per pixel)`);

  let palette: Buffer | null = null;
  if (bpp <= 8) {
    const colours = bytes.readUInt32LE(46) || 2 ** bpp;
    const start = 14 + headerSize;
    if (colours > 256 || bytes.length < start + colours * 4) throw new BmpError('truncated or invalid BMP palette');
    palette = bytes.subarray(start, start + colours * 4);
  }

  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  if (pixelOffset + stride * height > bytes.length) throw new BmpError('truncated BMP (pixel data ends early)');
  const channels = masks && masks[3] !== 0 ? 4 : 3;
  const out = Buffer.alloc(width * height * channels);
  const fields = masks?.map(maskShift);

  for (let y = 0; y < height; y++) {
    const row = pixelOffset + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * channels;
      if (palette) {
        const bit = x * bpp;
        const byte = bytes[row + (bit >> 3)];
        const index = (byte >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        if (index * 4 + 2 >= palette.length) throw new BmpError('invalid BMP (palette index out of range)');
        out[o] = palette[index * 4 + 2];
        out[o + 1] = palette[index * 4 + 1];
        out[o + 2] = palette[index * 4];
      } else if (fields && masks) {
        const value = bytes.readUInt32LE(row + x * 4);
        for (let c = 0; c < channels; c++) {
          const { shift, max } = fields[c];
          out[o + c] = max === 0 ? 0 : Math.round((((value & masks[c]) >>> shift) * 255) / max);
        }
      } else {
        const p = row + x * (bpp / 8);
        out[o] = bytes[p + 2];
        out[o + 1] = bytes[p + 1];
        out[o + 2] = bytes[p];
      }
    }
  }
  return { data: out, width, height, channels };
}
