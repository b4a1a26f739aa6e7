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
