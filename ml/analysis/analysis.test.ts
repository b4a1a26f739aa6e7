import { describe, expect, it } from 'vitest';
import {
  accuracyOf,
  cellImages,
  confusionMatrix,
  findLabelIssues,
  mostConfusedPairs,
  perClassMetrics,
  perClassThresholds,
  regressionDiff,
  topLosses,
  type ScoredPrediction,
} from './index.js';

describe('confusion matrix and per-class metrics', () => {
  const labels = [0, 0, 0, 1, 1, 2, 2, 2, 2];
  const preds = [0, 0, 1, 1, 2, 2, 2, 0, 2];
  const cm = confusionMatrix(labels, preds, 3);

  it('counts rows as given labels and columns as predictions, summing to the number of images', () => {
    expect(cm).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [1, 0, 3],
    ]);
    expect(cm.flat().reduce((a, b) => a + b, 0)).toBe(labels.length);
    expect(accuracyOf(cm)).toBeCloseTo(6 / 9);
  });

  it('computes precision, recall and F1 per class, with 0 rather than NaN for empty classes', () => {
    const metrics = perClassMetrics(cm);
    expect(metrics[0]).toMatchObject({ precision: 2 / 3, recall: 2 / 3, support: 3 });
    expect(metrics[2]!.precision).toBeCloseTo(3 / 4);
    expect(metrics[2]!.recall).toBeCloseTo(3 / 4);
    expect(metrics[2]!.f1).toBeCloseTo(3 / 4);
    expect(perClassMetrics([[0, 0], [0, 0]])).toEqual([
      { precision: 0, recall: 0, f1: 0, support: 0 },
      { precision: 0, recall: 0, f1: 0, support: 0 },
    ]);
  });

  it('lists the most confused pairs, largest first', () => {
    const pairs = mostConfusedPairs([[5, 3, 1], [0, 9, 0], [4, 0, 2]], 2);
    expect(pairs.map((p) => [p.actual, p.predicted, p.count])).toEqual([[2, 0, 4], [0, 1, 3]]);
  });

  it('refuses out-of-range classes and mismatched lengths', () => {
    expect(() => confusionMatrix([0, 3], [0, 0], 3)).toThrow('out of range');
    expect(() => confusionMatrix([0], [0, 1], 3)).toThrow('1 labels but 2 predictions');
  });
});

describe('confident learning', () => {
  // Deterministic pseudo-random numbers so the test data is the same on every run.
  function rng(seed: number) {
    return () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  }

  it('uses each class average self-confidence as its threshold', () => {
    const probs = [0.9, 0.1, 0.7, 0.3, 0.2, 0.8];
    expect(perClassThresholds(probs, [0, 0, 1], 2)).toEqual([0.8, 0.8]);
  });

  it('ranks flipped labels at the top of the queue, with the true class as the suggestion', () => {
    const random = rng(7);
    const k = 4;
    const n = 400;
    const trueLabels: number[] = [];
    const given: number[] = [];
    const probs = new Float32Array(n * k);
    const flipped = new Set<number>();
    for (let i = 0; i < n; i++) {
      const truth = i % k;
      trueLabels.push(truth);
      // A decent but imperfect model: most mass on the true class, noise elsewhere.
      const row = Array.from({ length: k }, () => random() * 0.4);
      row[truth]! += 0.6 + random() * 0.8;
      const total = row.reduce((a, b) => a + b, 0);
      row.forEach((v, c) => (probs[i * k + c] = v / total));
      let label = truth;
      if (random() < 0.1) {
        label = (truth + 1 + Math.floor(random() * (k - 1))) % k;
        flipped.add(i);
      }
      given.push(label);
    }
    const issues = findLabelIssues(probs, given, k);
    const top = issues.slice(0, flipped.size);
    const hits = top.filter((issue) => flipped.has(issue.index)).length;
    expect(hits / top.length).toBeGreaterThan(0.9);
    for (const issue of top.filter((t) => flipped.has(t.index))) expect(issue.suggested).toBe(trueLabels[issue.index]);
    // Sorted by margin, largest first.
    for (let i = 1; i < issues.length; i++) expect(issues[i - 1]!.margin).toBeGreaterThanOrEqual(issues[i]!.margin);
  });

  it('finds nothing when every label agrees with a confident model', () => {
    const probs = new Float32Array([0.95, 0.05, 0.9, 0.1, 0.1, 0.9, 0.02, 0.98]);
    expect(findLabelIssues(probs, [0, 0, 1, 1], 2)).toEqual([]);
  });
});

describe('rankings', () => {
  const predictions: ScoredPrediction[] = [
    { id: 1, label: 0, predicted: 1, confidence: 0.6, loss: 2.0 },
    { id: 2, label: 0, predicted: 1, confidence: 0.9, loss: 3.1 },
    { id: 3, label: 1, predicted: 1, confidence: 0.8, loss: 0.2 },
    { id: 4, label: 0, predicted: 0, confidence: 0.7, loss: 0.4 },
  ];

  it('orders top losses and cell images', () => {
    expect(topLosses(predictions, 2).map((p) => p.id)).toEqual([2, 1]);
    expect(cellImages(predictions, 0, 1).map((p) => p.id)).toEqual([2, 1]);
    expect(cellImages(predictions, 1, 0)).toEqual([]);
  });

  it('diffs two runs image by image', () => {
    const other = predictions.map((p) => ({ ...p, predicted: p.id === 1 ? 0 : p.id === 3 ? 0 : p.predicted }));
    expect(regressionDiff(predictions, other)).toEqual([
      { id: 1, label: 0, predictedA: 1, predictedB: 0, change: 'fixed' },
      { id: 3, label: 1, predictedA: 1, predictedB: 0, change: 'broken' },
    ]);
  });
});
