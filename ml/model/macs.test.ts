import { describe, expect, it } from 'vitest';
import { macsPerImage } from './macs.js';

// The recount of the spec (§3.1, §3.3): conv and dense multiply-accumulates per image.
describe('multiply-accumulates per image', () => {
  it.each([
    ['lite-32', 32, 3, 10, 31.4e6],
    ['lite-32', 28, 1, 10, 24.0e6],
    ['lite-16', 32, 3, 10, 8.1e6],
    ['lite-32-fast', 32, 3, 10, 8.1e6],
    ['attention56-cifar', 32, 3, 10, 122.8e6],
    ['attention56', 224, 3, 1000, 6.27e9],
    ['attention92', 224, 3, 1000, 10.53e9],
  ] as const)('%s at %ix%ix%i with %i classes: %d', (variant, size, channels, classes, expected) => {
    expect(macsPerImage(variant, size, channels, classes) / expected).toBeCloseTo(1, 2);
  });

  it('grows with the pixel count', () => {
    expect(macsPerImage('lite-32', 64) / macsPerImage('lite-32', 32)).toBeCloseTo(4, 1);
  });
});
