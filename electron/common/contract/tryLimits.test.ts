/** The upload checks of the Try contract: base64 recognised without a regexp that overflows, sizes exact. */
import { describe, expect, it } from 'vitest';
import { base64Size, isBase64, megabytes } from './tryLimits.js';

describe('uploads as base64', () => {
  it.each([0, 1, 2, 3, 4, 5, 1000, 12_000_000])('counts the bytes of %i bytes encoded, and accepts the encoding', (n) => {
    const text = Buffer.alloc(n, 0xfb).toString('base64');
    expect(base64Size(text)).toBe(n);
    expect(isBase64(text)).toBe(true);
  });

  it.each([['abc'], ['ab=c'], ['a===',], ['ab-_'], ['YWJj\n'], ['YW Jj']])('refuses %j', (text) => {
    expect(isBase64(text)).toBe(false);
  });

  it.each([
    [10 * 1024 * 1024, '10 MB'],
    [10 * 1024 * 1024 + 1, '10.0 MB'],
    [12_000_000, '11.4 MB'],
  ])('writes %i bytes as %s', (bytes, text) => expect(megabytes(bytes)).toBe(text));
});
