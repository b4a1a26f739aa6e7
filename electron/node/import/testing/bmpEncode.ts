/** Writes small BMP files for tests (sharp cannot write BMP): 24-bit, or 8-bit with a palette. */

export function encodeBmp24(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): Buffer {
  const stride = Math.ceil((width * 3) / 4) * 4;
  const out = Buffer.alloc(54 + stride * height);
  writeHeaders(out, width, height, 24, 54);
  for (let y = 0; y < height; y++) {
    const row = 54 + (height - 1 - y) * stride; // bottom-up, as most BMPs are
    for (let x = 0; x < width; x++) {
      const [r, g, b] = pixel(x, y);
      out[row + x * 3] = b;
      out[row + x * 3 + 1] = g;
      out[row + x * 3 + 2] = r;
    }
  }
  return out;
}

export function encodeBmp8(width: number, height: number, palette: [number, number, number][], index: (x: number, y: number) => number): Buffer {
  const stride = Math.ceil(width / 4) * 4;
  const offset = 54 + 4 * palette.length;
  const out = Buffer.alloc(offset + stride * height);
  writeHeaders(out, width, height, 8, offset);
  out.writeUInt32LE(palette.length, 46);
  palette.forEach(([r, g, b], i) => {
    out[54 + i * 4] = b;
    out[54 + i * 4 + 1] = g;
    out[54 + i * 4 + 2] = r;
  });
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out[offset + (height - 1 - y) * stride + x] = index(x, y);
  return out;
}

function writeHeaders(out: Buffer, width: number, height: number, bpp: number, offset: number): void {
  out.write('BM', 0, 'ascii');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(offset, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(bpp, 28);
  out.writeUInt32LE(0, 30);
}
