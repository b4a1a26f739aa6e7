import { describe, expect, it } from 'vitest';
import { deriveSeed, Random, shuffledIndices } from './random.js';

describe('Random', () => {
  it('repeats its sequence for the same seed and differs for another', () => {
    const a = new Random(42);
    const b = new Random(42);
    const c = new Random(43);
    const sa = Array.from({ length: 16 }, () => a.nextUint32());
    expect(Array.from({ length: 16 }, () => b.nextUint32())).toEqual(sa);
    expect(Array.from({ length: 16 }, () => c.nextUint32())).not.toEqual(sa);
  });

  it('draws integers uniformly enough over a small range', () => {
    const random = new Random(7);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) counts[random.nextInt(4)]++;
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(400);
  });

  it('derives distinct seeds per stream coordinate', () => {
    const seeds = new Set([deriveSeed(1, 1, 0), deriveSeed(1, 1, 1), deriveSeed(1, 2, 0), deriveSeed(2, 1, 0), deriveSeed(1, 1, 0, 0)]);
    expect(seeds.size).toBe(5);
    expect(deriveSeed(1, 1, 0)).toBe(deriveSeed(1, 1, 0));
  });

  it('shuffles into a permutation that depends on the seed', () => {
    const a = shuffledIndices(100, new Random(5));
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(Array.from(shuffledIndices(100, new Random(5)))).toEqual(Array.from(a));
    expect(Array.from(shuffledIndices(100, new Random(6)))).not.toEqual(Array.from(a));
  });
});
