import { describe, expect, it } from 'vitest';
import { BmpError, decodeBmp } from './bmp.js';
import { encodeBmp24, encodeBmp8 } from './testing/bmpEncode.js';

describe('BMP decoder', () => {
  it('reads a bottom-up 24-bit file into top-down RGB', () => {
    const raw = decodeBmp(encodeBmp24(3, 2, (x, y) => [x * 100, y * 200, 7]), 1e6);
    expect(raw).toMatchObject({ width: 3, height: 2, channels: 3 });
    expect([...raw.data]).toEqual([0, 0, 7, 100, 0, 7, 200, 0, 7, 0, 200, 7, 100, 200, 7, 200, 200, 7]);
  });

  it('reads an 8-bit palette file', () => {
    const raw = decodeBmp(encodeBmp8(2, 2, [[1, 2, 3], [250, 251, 252]], (x, y) => (x === y ? 1 : 0)), 1e6);
    expect([...raw.data]).toEqual([250, 251, 252, 1, 2, 3, 1, 2, 3, 250, 251, 252]);
  });

  it.each([
    ['truncated pixel data', (b: Buffer) => b.subarray(0, b.length - 10), /truncated BMP/],
    ['RLE compression', (b: Buffer) => (b.writeUInt32LE(1, 30), b), /unsupported BMP compression \(type 1/],
    ['16 bits per pixel', (b: Buffer) => (b.writeUInt16LE(16, 28), b), /16 bits per pixel/],
  ])('refuses %s with its reason', (_name, damage, reason) => {
    const bytes = damage(Buffer.from(encodeBmp24(8, 8, () => [1, 2, 3])));
    expect(() => decodeBmp(bytes, 1e6)).toThrow(BmpError);
    expect(() => decodeBmp(bytes, 1e6)).toThrow(reason);
  });
});
