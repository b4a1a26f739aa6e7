import { describe, expect, it } from 'vitest';
import { accuracyOf, argmaxRows, confusionMatrix } from './metrics.js';

describe('metrics', () => {
  it('puts true classes in rows and predictions in columns', () => {
    const matrix = confusionMatrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], 3);
    expect(matrix).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [1, 0, 2],
    ]);
    expect(accuracyOf(matrix)).toBeCloseTo(4 / 6);
  });

  it('reports 0 accuracy for no images rather than NaN', () => {
    expect(accuracyOf(confusionMatrix([], [], 2))).toBe(0);
  });

  it('takes the first maximum per row', () => {
    expect(Array.from(argmaxRows([0.1, 0.7, 0.2, 0.5, 0.5, 0], 3))).toEqual([1, 0]);
  });
});
