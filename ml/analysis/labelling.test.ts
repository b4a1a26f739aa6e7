import { describe, expect, it } from 'vitest';
import { Random } from '../train/random.js';
import { confidentLearning, labelNextOrder, planFolds, predictedClasses, stratifiedFolds, uncertaintyScores } from './index.js';

/**
 * Simulated out-of-sample predictions: each image has a true class; the model puts most of its mass on
 * it nine times in ten, and hesitates between it and another class otherwise (its own mistakes are
 * less confident), the rest spread at random. A share of the given labels is then flipped.
 */
function simulate(n: number, k: number, flipRate: number, seed: number) {
  const random = new Random(seed);
  const truth = Int32Array.from({ length: n }, (_, i) => i % k);
  const probabilities = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const confused = random.nextFloat() < 0.1 ? (truth[i]! + 1 + Math.floor(random.nextFloat() * (k - 1))) % k : -1;
    let sum = 0;
    for (let c = 0; c < k; c++) {
      const peak = confused < 0 ? (c === truth[i] ? 3 + 4 * random.nextFloat() : 0) : c === confused ? 1.5 + random.nextFloat() : c === truth[i] ? 1 + random.nextFloat() : 0;
      const v = peak + random.nextFloat();
      probabilities[i * k + c] = v;
      sum += v;
    }
    for (let c = 0; c < k; c++) probabilities[i * k + c]! /= sum;
  }
  const labels = Int32Array.from(truth);
  const flipped = new Set<number>();
  for (let i = 0; i < n; i++) {
    if (random.nextFloat() < flipRate) {
      labels[i] = (truth[i]! + 1 + Math.floor(random.nextFloat() * (k - 1))) % k;
      flipped.add(i);
    }
  }
  return { truth, labels, probabilities, flipped };
}

describe('confident learning over the whole dataset', () => {
  it.each([
    { flipRate: 0.05, seed: 3 },
    { flipRate: 0.1, seed: 4 },
    { flipRate: 0.2, seed: 5 },
  ])('finds most flipped labels with few false alarms at $flipRate flips, and suggests the true class', ({ flipRate, seed }) => {
    const k = 5;
    const { truth, labels, probabilities, flipped } = simulate(2000, k, flipRate, seed);
    const result = confidentLearning(probabilities, labels, k);
    const hits = result.issues.filter((issue) => flipped.has(issue.index));
    const precision = hits.length / result.issues.length;
    const recall = hits.length / flipped.size;
    expect(precision).toBeGreaterThan(0.7);
    expect(recall).toBeGreaterThan(0.6);
    const rightSuggestions = hits.filter((issue) => issue.suggested === truth[issue.index]).length;
    expect(rightSuggestions / hits.length).toBeGreaterThan(0.9);
    // The calibrated joint's rows sum to the given-label counts.
    for (let c = 0; c < k; c++) {
      const count = labels.filter((l) => l === c).length;
      expect(result.calibratedJoint[c]!.reduce((a, b) => a + b, 0)).toBeCloseTo(count, 6);
    }
  });

  it('ranks by score, highest first, and never flags an image whose label the model predicts', () => {
    const k = 4;
    const { labels, probabilities } = simulate(800, k, 0.1, 9);
    for (const rankBy of ['self_confidence', 'normalized_margin'] as const) {
      const { issues } = confidentLearning(probabilities, labels, k, { rankBy });
      expect(issues.length).toBeGreaterThan(0);
      const top = predictedClasses(probabilities, k);
      for (let i = 1; i < issues.length; i++) expect(issues[i - 1]!.score).toBeGreaterThanOrEqual(issues[i]!.score);
      for (const issue of issues) {
        expect(top[issue.index]).not.toBe(issue.given);
        expect(issue.suggested).not.toBe(issue.given);
      }
    }
  });

  it('reports the share of images whose top prediction is their label', () => {
    const probabilities = [0.9, 0.1, 0.2, 0.8, 0.6, 0.4, 0.3, 0.7];
    expect(confidentLearning(probabilities, [0, 1, 1, 1], 2).accuracy).toBeCloseTo(0.75);
  });

  it('refuses probabilities of the wrong length', () => {
    expect(() => confidentLearning([0.5, 0.5, 1], [0, 1], 2)).toThrow(/3 probabilities for 2 images/);
  });
});

describe('label-next order', () => {
  it('scores a two-way tie as most uncertain under margin and a uniform row as most uncertain under entropy', () => {
    const p = [0.5, 0.5, 0, 0.98, 0.01, 0.01, 1 / 3, 1 / 3, 1 / 3];
    const margin = uncertaintyScores(p, 3, 'margin');
    const entropy = uncertaintyScores(p, 3, 'entropy');
    expect(margin[0]).toBeCloseTo(1);
    expect(margin[1]).toBeLessThan(0.1);
    expect(entropy[2]).toBeCloseTo(1);
    expect(entropy[1]).toBeLessThan(entropy[0]!);
  });

  it('puts at most maxPerClass images of one predicted class on a screen, and orders every image once', () => {
    const random = new Random(2);
    const k = 4;
    const n = 120;
    // Class 0 images are all very uncertain: pure uncertainty would fill the first screen with them.
    const p = new Float32Array(n * k);
    for (let i = 0; i < n; i++) {
      const c = i < 60 ? 0 : i % k;
      const top = c === 0 ? 0.3 + 0.01 * random.nextFloat() : 0.6 + 0.3 * random.nextFloat();
      for (let j = 0; j < k; j++) p[i * k + j] = j === c ? top : (1 - top) / (k - 1);
    }
    const order = labelNextOrder(p, k, { measure: 'margin', screenSize: 12, maxPerClass: 4 });
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    const classes = predictedClasses(p, k);
    const firstScreen = order.slice(0, 12).map((i) => classes[i]);
    expect(firstScreen.filter((c) => c === 0).length).toBe(4);
    const plain = labelNextOrder(p, k, { measure: 'margin', screenSize: 12, maxPerClass: 12 }).slice(0, 12);
    expect(plain.every((i) => classes[i] === 0)).toBe(true);
  });
});

describe('folds', () => {
  it('gives every image a fold, each class spread evenly, reproducibly per seed', () => {
    const labels = Int32Array.from({ length: 103 }, (_, i) => (i < 70 ? 0 : i < 95 ? 1 : 2));
    const folds = stratifiedFolds(labels, 4, 7);
    expect(stratifiedFolds(labels, 4, 7)).toEqual(folds);
    expect(stratifiedFolds(labels, 4, 8)).not.toEqual(folds);
    for (const c of [0, 1, 2]) {
      const counts = [0, 0, 0, 0];
      labels.forEach((l, i) => l === c && counts[folds[i]!]!++);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    }
    expect(() => stratifiedFolds(labels, 1)).toThrow(/at least 2/);
  });

  it('takes fewer folds when the budget is short, and as many epochs as fit', () => {
    const base = { images: 1000, trainImagesPerSecond: 100, inferImagesPerSecond: 500, maxEpochs: 20 };
    const roomy = planFolds({ ...base, budgetSeconds: 3600 });
    expect(roomy).toMatchObject({ folds: 5, epochsPerFold: 20 });
    const tight = planFolds({ ...base, budgetSeconds: 120 });
    expect(tight.folds).toBeLessThan(5);
    expect(tight.estimatedSeconds).toBeLessThanOrEqual(120);
    expect(planFolds({ ...base, budgetSeconds: 120, requestedFolds: 3 }).folds).toBe(3);
  });
});
