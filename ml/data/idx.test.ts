import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FASHION_MNIST_DIR, loadFashionMnist, parseIdx } from './idx.js';

function idx(shape: number[], data: number[]): Uint8Array {
  const header = new DataView(new ArrayBuffer(4 + 4 * shape.length));
  header.setUint8(2, 0x08);
  header.setUint8(3, shape.length);
  shape.forEach((d, i) => header.setUint32(4 + 4 * i, d));
  return new Uint8Array([...new Uint8Array(header.buffer), ...data]);
}

describe('IDX reader', () => {
  it('reads shape and data', () => {
    const parsed = parseIdx(idx([2, 2, 3], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]));
    expect(parsed.shape).toEqual([2, 2, 3]);
    expect(Array.from(parsed.data)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it.each([
    ['a bad magic number', new Uint8Array([1, 2, 8, 1, 0, 0, 0, 1, 5]), 'bad magic'],
    ['a non-byte element type', new Uint8Array([0, 0, 0x0d, 1, 0, 0, 0, 1, 5, 5, 5, 5]), 'not unsigned bytes'],
    ['truncated data', idx([10], [1, 2, 3]), 'truncated data'],
  ])('refuses %s with a message naming the source', (_label, bytes, message) => {
    expect(() => parseIdx(bytes, 'x.idx')).toThrow(message);
  });

  it.runIf(existsSync(FASHION_MNIST_DIR))('loads the Fashion-MNIST test split (10,000 28x28 images, 10 balanced classes)', () => {
    const test = loadFashionMnist('test');
    expect([test.count, test.height, test.width]).toEqual([10000, 28, 28]);
    const counts = new Array(10).fill(0);
    for (const label of test.labels) counts[label]++;
    expect(counts).toEqual(new Array(10).fill(1000));
  });
});
