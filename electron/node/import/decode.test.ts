import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { BadImageError, defaultDecodeOptions, prepareImage } from './decode.js';
import { hugePng } from './testing/hugePng.js';

const create = (width: number, height: number, channels: 3 | 4, background: string | object) =>
  sharp({ create: { width, height, channels, background } as never });

describe('preparing one image', () => {
  it.each([
    { name: 'grey JPEG', make: () => create(40, 30, 3, '#808080').toColourspace('b-w').jpeg().toBuffer(), channels: 1, cache: 1 },
    { name: 'grey PNG with alpha', make: () => create(20, 20, 4, { r: 9, g: 9, b: 9, alpha: 0.5 }).toColourspace('b-w').png().toBuffer(), channels: 2, cache: 1 },
    { name: 'RGBA PNG', make: () => create(20, 20, 4, { r: 200, g: 0, b: 0, alpha: 0.5 }).png().toBuffer(), channels: 4, cache: 3 },
    { name: 'large WebP', make: () => create(1200, 800, 3, '#0a0').webp().toBuffer(), channels: 3, cache: 3 },
  ])('keeps the stored channels of a $name and caches 1 or 3', async ({ make, channels, cache }) => {
    const prepared = await prepareImage(await make());
    expect(prepared.channels).toBe(channels);
    expect(prepared.cache.channels).toBe(cache);
    expect(prepared.cache.data.length).toBe(32 * 32 * cache);
  });

  it('flattens transparency onto white in the training pixels', async () => {
    const prepared = await prepareImage(await create(10, 10, 4, { r: 0, g: 0, b: 0, alpha: 0 }).png().toBuffer());
    expect([...prepared.cache.data.subarray(0, 3)]).toEqual([255, 255, 255]);
  });

  it('shrinks a large picture to a 96px WebP thumbnail and keeps a small one as it is', async () => {
    const large = await prepareImage(await create(1200, 800, 3, '#0a0').jpeg().toBuffer());
    expect(large.thumbnail).toMatchObject({ mime: 'image/webp', width: 96, height: 64 });
    expect(large).toMatchObject({ width: 1200, height: 800 });
    const smallBytes = await create(32, 32, 3, '#0a0').png().toBuffer();
    const small = await prepareImage(smallBytes);
    expect(small.thumbnail).toMatchObject({ mime: 'image/png', width: 32, height: 32 });
    expect(small.thumbnail.data).toBe(smallBytes);
  });

  it.each([
    { name: 'a small file', bytes: () => create(100, 100, 3, '#000').png().toBuffer(), max: 5000, message: /100x100 .*over the 0\.0 megapixels limit/ },
    { name: 'a compressed bomb', bytes: () => hugePng(20000, 20000), max: defaultDecodeOptions.maxPixels, message: /20000x20000 \(400 megapixels\)/ },
  ])('refuses $name over the pixel limit, saying how big it is', async ({ bytes, max, message }) => {
    const error = await prepareImage(await bytes(), { ...defaultDecodeOptions, maxPixels: max }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadImageError);
    expect((error as Error).message).toMatch(message);
  });
});

/** A landscape picture of three squares side by side: red, green, blue (or, turned, a portrait one). */
async function threeSquares(side: number, portrait = false): Promise<Buffer> {
  const square = (r: number, g: number, b: number) => create(side, side, 3, { r, g, b }).png().toBuffer();
  const [red, green, blue] = await Promise.all([square(255, 0, 0), square(0, 255, 0), square(0, 0, 255)]);
  const strip = await create(3 * side, side, 3, '#000')
    .composite([{ input: red, left: 0, top: 0 }, { input: green, left: side, top: 0 }, { input: blue, left: 2 * side, top: 0 }])
    .png()
    .toBuffer();
  return portrait ? sharp(strip).rotate(90).png().toBuffer() : strip;
}

function pixelAt(data: Buffer, size: number, x: number, y: number): number[] {
  const at = (y * size + x) * 3;
  return [data[at]!, data[at + 1]!, data[at + 2]!];
}

/** The dominant channel of a pixel: 'r', 'g', 'b', or 'black' when all are dark. */
function colourOf([r, g, b]: number[]): string {
  if (Math.max(r!, g!, b!) < 40) return 'black';
  return r! > g! && r! > b! ? 'r' : g! > b! ? 'g' : 'b';
}

describe('the resize policy of the training pixels', () => {
  const size = 18;
  const at = async (bytes: Buffer, resizePolicy: 'squash' | 'centre-crop' | 'letterbox') => {
    const prepared = await prepareImage(bytes, { ...defaultDecodeOptions, cacheSize: size, resizePolicy });
    expect(prepared.cache.data.length).toBe(size * size * 3);
    return prepared.cache.data;
  };
  const middle = size / 2;

  it('squash (the default) stretches the whole landscape photo: red, green and blue thirds', async () => {
    const bytes = await threeSquares(60);
    const data = await at(bytes, 'squash');
    expect([1, middle, size - 2].map((x) => colourOf(pixelAt(data, size, x, middle)))).toEqual(['r', 'g', 'b']);
    expect([...(await prepareImage(bytes, { ...defaultDecodeOptions, cacheSize: size })).cache.data]).toEqual([...data]);
  });

  it('centre-crop keeps the centred square: only the green middle third', async () => {
    const data = await at(await threeSquares(60), 'centre-crop');
    for (const x of [1, middle, size - 2]) for (const y of [0, middle, size - 1]) expect(colourOf(pixelAt(data, size, x, y)), `${x},${y}`).toBe('g');
  });

  it('letterbox keeps the whole photo between black bars above and below a landscape one', async () => {
    const data = await at(await threeSquares(60), 'letterbox');
    expect([1, middle, size - 2].map((x) => colourOf(pixelAt(data, size, x, middle)))).toEqual(['r', 'g', 'b']);
    // 3:1 photo in 18 rows: 6 rows of picture, 6 of black above and below.
    for (const y of [0, 4, size - 5, size - 1]) expect(colourOf(pixelAt(data, size, middle, y)), `row ${y}`).toBe('black');
  });

  it('letterbox puts the bars left and right of a portrait photo (orientation applied first)', async () => {
    const data = await at(await threeSquares(60, true), 'letterbox');
    expect([1, middle, size - 2].map((y) => colourOf(pixelAt(data, size, middle, y)))).toEqual(['r', 'g', 'b']);
    for (const x of [0, 4, size - 5, size - 1]) expect(colourOf(pixelAt(data, size, x, middle)), `column ${x}`).toBe('black');
  });

  it.each(['centre-crop', 'letterbox'] as const)('%s gives a square of the right size from a large photo and from a grey one', async (policy) => {
    const noisy = await sharp(Buffer.from(Array.from({ length: 900 * 300 * 3 }, (_, i) => (i * 7919) % 251)), { raw: { width: 900, height: 300, channels: 3 } })
      .jpeg({ quality: 95 })
      .toBuffer();
    expect(noisy.length).toBeGreaterThan(64 * 1024);
    expect((await prepareImage(noisy, { ...defaultDecodeOptions, cacheSize: 24, resizePolicy: policy })).cache.data.length).toBe(24 * 24 * 3);
    const grey = await create(50, 20, 3, '#808080').toColourspace('b-w').png().toBuffer();
    const prepared = await prepareImage(grey, { ...defaultDecodeOptions, cacheSize: 10, resizePolicy: policy });
    expect(prepared.cache).toMatchObject({ channels: 1, size: 10 });
    expect(prepared.cache.data.length).toBe(100);
    // Grey stays grey; only letterbox bars are black.
    expect(prepared.cache.data[5 * 10 + 5]).toBeGreaterThan(100);
    expect(prepared.cache.data[0]).toBe(policy === 'letterbox' ? 0 : prepared.cache.data[5 * 10 + 5]);
  });
});
