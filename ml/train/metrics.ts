/** Classification metrics on plain arrays, shared by training progress, validation and predictions. */

/** `matrix[trueClass][predictedClass]` = number of images. */
export type ConfusionMatrix = number[][];

export function emptyConfusionMatrix(numClasses: number): ConfusionMatrix {
  return Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
}

/** Adds one batch of (true, predicted) pairs to `matrix` in place. */
export function addToConfusionMatrix(matrix: ConfusionMatrix, labels: ArrayLike<number>, predicted: ArrayLike<number>): void {
  if (labels.length !== predicted.length) throw new Error(`${labels.length} labels but ${predicted.length} predictions.`);
  for (let i = 0; i < labels.length; i++) matrix[labels[i]][predicted[i]]++;
}

export function confusionMatrix(labels: ArrayLike<number>, predicted: ArrayLike<number>, numClasses: number): ConfusionMatrix {
  const matrix = emptyConfusionMatrix(numClasses);
  addToConfusionMatrix(matrix, labels, predicted);
  return matrix;
}

/** Fraction on the diagonal; 0 for an empty matrix (no validation images) rather than NaN. */
export function accuracyOf(matrix: ConfusionMatrix): number {
  let correct = 0;
  let total = 0;
  matrix.forEach((row, i) => {
    row.forEach((count) => (total += count));
    correct += row[i];
  });
  return total === 0 ? 0 : correct / total;
}

/** Index of the largest of each row of `values` (`rows` x `columns`, row-major); ties go to the first. */
export function argmaxRows(values: ArrayLike<number>, columns: number): Int32Array {
  const rows = values.length / columns;
  const result = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < columns; c++) if (values[r * columns + c] > values[r * columns + best]) best = c;
    result[r] = best;
  }
  return result;
}
