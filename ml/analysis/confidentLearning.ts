/**
 * Likely mislabelled images by confident learning (Northcutt, Jiang & Chuang, "Confident Learning:
 * Estimating Uncertainty in Dataset Labels", JAIR 2021), from OUT-OF-SAMPLE predicted probabilities:
 *
 * - per-class threshold t_j = the mean predicted probability of class j over the images labelled j
 *   (the class's average self-confidence);
 * - an image labelled i is a label issue when some other class j reaches its threshold (p_j >= t_j)
 *   while its own label does not (p_i < t_i) — the "off-diagonal of the confident joint";
 * - its suggested label is the most probable class among those at or above their thresholds;
 * - issues are ranked by normalised margin p_suggested − p_given, largest first (cleanlab's
 *   "normalized_margin" ordering), so confident disagreements come first.
 *
 * Probabilities must come from a model that did not train on the image (held-out split or k-fold);
 * in-sample probabilities are overconfident and hide the issues.
 */

export interface LabelIssue {
  /** Row index into the probabilities. */
  index: number;
  given: number;
  suggested: number;
  /** p(given) and p(suggested) for the image. */
  givenProbability: number;
  suggestedProbability: number;
  /** p(suggested) − p(given): the ranking key. */
  margin: number;
}

/** `probabilities` is N x K row-major; returns thresholds of length K (NaN for a class with no images). */
export function perClassThresholds(probabilities: Float32Array | number[], labels: ArrayLike<number>, numClasses: number): number[] {
  const sums = new Array<number>(numClasses).fill(0);
  const counts = new Array<number>(numClasses).fill(0);
  for (let n = 0; n < labels.length; n++) {
    const c = labels[n]!;
    sums[c]! += probabilities[n * numClasses + c]!;
    counts[c]!++;
  }
  return sums.map((s, c) => (counts[c] === 0 ? Number.NaN : s / counts[c]!));
}

export function findLabelIssues(probabilities: Float32Array | number[], labels: ArrayLike<number>, numClasses: number): LabelIssue[] {
  const n = labels.length;
  if (probabilities.length !== n * numClasses) {
    throw new Error(`findLabelIssues: ${probabilities.length} probabilities for ${n} images x ${numClasses} classes`);
  }
  const thresholds = perClassThresholds(probabilities, labels, numClasses);
  const issues: LabelIssue[] = [];
  for (let i = 0; i < n; i++) {
    const given = labels[i]!;
    const row = i * numClasses;
    const givenProbability = probabilities[row + given]!;
    if (givenProbability >= thresholds[given]!) continue;
    let suggested = -1;
    let best = -1;
    for (let c = 0; c < numClasses; c++) {
      if (c === given) continue;
      const p = probabilities[row + c]!;
      // A class with no labelled images has no threshold: it cannot be suggested confidently.
      if (p >= thresholds[c]! && p > best) {
        best = p;
        suggested = c;
      }
    }
    if (suggested >= 0) {
      issues.push({ index: i, given, suggested, givenProbability, suggestedProbability: best, margin: best - givenProbability });
    }
  }
  issues.sort((a, b) => b.margin - a.margin || a.index - b.index);
  return issues;
}
