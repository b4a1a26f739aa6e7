/**
 * Metrics from predictions: the confusion matrix (rows = given label, columns = prediction), per-class
 * precision / recall / F1, and the most confused class pairs. Plain arrays, no tensors.
 */

export type ConfusionMatrix = number[][];

export function confusionMatrix(labels: ArrayLike<number>, predictions: ArrayLike<number>, numClasses: number): ConfusionMatrix {
  if (labels.length !== predictions.length) throw new Error(`confusionMatrix: ${labels.length} labels but ${predictions.length} predictions`);
  const matrix = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const given = labels[i]!;
    const predicted = predictions[i]!;
    if (given < 0 || given >= numClasses || predicted < 0 || predicted >= numClasses) {
      throw new Error(`confusionMatrix: class index out of range at ${i} (label ${given}, prediction ${predicted})`);
    }
    matrix[given]![predicted]!++;
  }
  return matrix;
}

export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  /** Images whose given label is this class. */
  support: number;
}

/** Precision, recall and F1 per class; a class never predicted (or never present) scores 0, not NaN. */
export function perClassMetrics(matrix: ConfusionMatrix): ClassMetrics[] {
  const k = matrix.length;
  return matrix.map((row, c) => {
    const truePositives = row[c]!;
    const support = row.reduce((a, b) => a + b, 0);
    let predicted = 0;
    for (let r = 0; r < k; r++) predicted += matrix[r]![c]!;
    const precision = predicted === 0 ? 0 : truePositives / predicted;
    const recall = support === 0 ? 0 : truePositives / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { precision, recall, f1, support };
  });
}

export function accuracyOf(matrix: ConfusionMatrix): number {
  let correct = 0;
  let total = 0;
  matrix.forEach((row, r) => {
    correct += row[r]!;
    for (const v of row) total += v;
  });
  return total === 0 ? 0 : correct / total;
}

export interface ConfusedPair {
  /** The given label. */
  actual: number;
  predicted: number;
  count: number;
  /** Share of the actual class's images predicted as `predicted`. */
  rate: number;
}

/** Off-diagonal cells, largest first (ties: by rate, then by class index, for stable output). */
export function mostConfusedPairs(matrix: ConfusionMatrix, limit = 10): ConfusedPair[] {
  const pairs: ConfusedPair[] = [];
  matrix.forEach((row, actual) => {
    const support = row.reduce((a, b) => a + b, 0);
    row.forEach((count, predicted) => {
      if (predicted !== actual && count > 0) pairs.push({ actual, predicted, count, rate: count / support });
    });
  });
  pairs.sort((a, b) => b.count - a.count || b.rate - a.rate || a.actual - b.actual || a.predicted - b.predicted);
  return pairs.slice(0, limit);
}
