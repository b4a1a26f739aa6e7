import { describe, expect, it } from 'vitest';
import { checkBatch, InMemoryDataSource } from './dataSource.js';

const source = new InMemoryDataSource({
  images: Uint8Array.from([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]), // five 1x2x1 images, pixel values = position
  labels: [0, 1, 0, 1, 0],
  imageShape: [1, 2, 1],
  numClasses: 2,
  ids: [100, 101, 102, 103, 104],
});

async function collect(order: number[], batchSize: number) {
  const batches = [];
  for await (const b of source.batches(order, batchSize)) batches.push({ images: Array.from(b.images), labels: Array.from(b.labels), ids: Array.from(b.ids!) });
  return batches;
}

describe('InMemoryDataSource', () => {
  it('yields the requested positions in order, the last batch short', async () => {
    expect(await collect([4, 0, 3], 2)).toEqual([
      { images: [4, 4, 0, 0], labels: [0, 0], ids: [104, 100] },
      { images: [3, 3], labels: [1], ids: [103] },
    ]);
  });

  it('keeps ids through a subset', async () => {
    const subset = source.subset([3, 1]);
    expect(subset.size).toBe(2);
    const [batch] = await (async () => {
      const out = [];
      for await (const b of subset.batches([0, 1], 8)) out.push(b);
      return out;
    })();
    expect(Array.from(batch.ids!)).toEqual([103, 101]);
    expect(Array.from(batch.images)).toEqual([3, 3, 1, 1]);
  });

  it('refuses pixels that do not match the shape and positions out of range', async () => {
    expect(() => new InMemoryDataSource({ images: new Uint8Array(3), labels: [0], imageShape: [1, 2, 1], numClasses: 2 })).toThrow(/do not make 1 images of 1x2x1/);
    await expect(collect([5], 1)).rejects.toThrow(/outside 0..4/);
  });

  it('flags a batch whose labels fall outside the classes', () => {
    expect(() => checkBatch(source, { images: new Uint8Array(2), labels: Int32Array.from([2]) }, 1)).toThrow(/label 2, outside 0..1/);
    expect(() => checkBatch(source, { images: new Uint8Array(2), labels: Int32Array.from([0]) }, 2)).toThrow(/1 images where 2 were asked for/);
  });
});
