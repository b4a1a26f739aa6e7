import { beforeAll, describe, expect, it } from 'vitest';
import { InMemoryDataSource } from './dataSource.js';
import { evaluateSource, predictSource } from './evaluate.js';
import { computeChannelStats } from './normalization.js';
import { tinyModel, TOY_SHAPE, toyShapes, useCpuBackend } from './test/toy.js';

beforeAll(useCpuBackend);

describe('predictSource and evaluateSource', () => {
  it('gives per-image probabilities, predictions and losses with the source ids', async () => {
    const toy = toyShapes(10);
    const source = toy.subset([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]); // ids = positions in `toy`
    const normalization = await computeChannelStats(source);
    const model = tinyModel();
    const predictions = await predictSource(model, source, { normalization, batchSize: 4, order: [0, 1, 2, 3, 4] });
    expect(Array.from(predictions.ids)).toEqual([9, 8, 7, 6, 5]);
    expect(Array.from(predictions.labels)).toEqual([0, 2, 1, 0, 2]);
    expect(predictions.probabilities).toHaveLength(5 * 3);
    for (let i = 0; i < 5; i++) {
      const p = Array.from(predictions.probabilities.subarray(i * 3, i * 3 + 3));
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(predictions.predicted[i]).toBe(p.indexOf(Math.max(...p)));
      expect(predictions.losses[i]).toBeCloseTo(-Math.log(p[predictions.labels[i]]), 4);
    }
    const evaluation = await evaluateSource(model, source, { normalization, batchSize: 3 });
    expect(evaluation.count).toBe(10);
    expect(evaluation.confusionMatrix.flat().reduce((a, b) => a + b, 0)).toBe(10);
    expect(evaluation.confusionMatrix.map((row) => row.reduce((a, b) => a + b, 0))).toEqual([4, 3, 3]);
    model.dispose();
  });

  it('names the mismatch when a source returns images of the wrong size', async () => {
    const wrong = new InMemoryDataSource({ images: new Uint8Array(2 * 16), labels: [0, 1], imageShape: [4, 4, 1], numClasses: 3 });
    const lying = { ...wrong, imageShape: TOY_SHAPE, size: 2, numClasses: 3, batches: wrong.batches.bind(wrong) };
    const model = tinyModel();
    await expect(predictSource(model, lying, { normalization: { mean: [0], std: [1] } })).rejects.toThrow(
      /32 bytes of pixels for 2 images of 8x8x1; expected 128/,
    );
    model.dispose();
  });
});
