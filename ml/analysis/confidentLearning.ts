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

/**
 * The whole-dataset form of confident learning, as cleanlab implements the paper (its
 * `compute_confident_joint`, `find_label_issues(filter_by='prune_by_noise_rate')` and
 * `get_label_quality_scores`), reimplemented here from the paper's description:
 *
 * 1. per-class thresholds t_j: the mean self-confidence of class j (as above);
 * 2. the confident joint C[i][j]: an image labelled i counts at column j, the class it confidently belongs
 *    to — the most probable among the classes at or above their thresholds (with none, it is not counted;
 *    with exactly one, cleanlab takes the plain argmax, which we follow);
 * 3. calibration (paper Eq. 3): each row of C is scaled to the number of images with that given label;
 * 4. pruning by noise rate (paper §3.2, "C_confusion"/"prune by noise rate"): for each off-diagonal cell
 *    (i, j), the round(C[i][j]) images labelled i with the largest margin p_j − p_i are issues;
 * 5. an image whose given label is also the model's top prediction is never an issue (cleanlab drops
 *    those too: the model agrees with the label);
 * 6. issues are ranked by a label-quality score, lowest first: self-confidence p_given (cleanlab's
 *    default), or the normalised margin p_given − max_{j≠given} p_j.
 */
export type LabelQualityMethod = 'self_confidence' | 'normalized_margin';

export interface RankedLabelIssue {
  index: number;
  given: number;
  /** The class the image confidently belongs to (the confident joint's column), else the top other class. */
  suggested: number;
  /** p(given): the image's self-confidence. */
  selfConfidence: number;
  /** p(given) − the largest other probability, in [-1, 1]. */
  normalizedMargin: number;
  /** 1 − label quality, in [0, 1]: higher is more likely mislabelled. Issues are sorted by it, highest first. */
  score: number;
}

export interface ConfidentLearningResult {
  thresholds: number[];
  /** K x K, rows the given label, columns the confidently predicted class (uncalibrated counts). */
  confidentJoint: number[][];
  /** Rows scaled to the given-label counts (paper Eq. 3). */
  calibratedJoint: number[][];
  issues: RankedLabelIssue[];
  /** Share of images whose top prediction is their given label: how much the predictions deserve trust. */
  accuracy: number;
}

function argmaxRow(probabilities: ArrayLike<number>, row: number, k: number): number {
  let best = 0;
  for (let c = 1; c < k; c++) if (probabilities[row + c]! > probabilities[row + best]!) best = c;
  return best;
}

/** The column of the confident joint an image falls in, or -1 when no class reaches its threshold. */
function confidentClass(probabilities: ArrayLike<number>, row: number, k: number, thresholds: readonly number[]): number {
  let count = 0;
  let best = -1;
  for (let c = 0; c < k; c++) {
    const p = probabilities[row + c]!;
    // cleanlab subtracts a hair from the thresholds so an image exactly at its class mean counts.
    if (p >= thresholds[c]! - 1e-6) {
      count++;
      if (best < 0 || p > probabilities[row + best]!) best = c;
    }
  }
  if (count === 0) return -1;
  return count === 1 ? argmaxRow(probabilities, row, k) : best;
}

export function labelQuality(probabilities: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number, method: LabelQualityMethod): Float64Array {
  const quality = new Float64Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const row = i * numClasses;
    const given = labels[i]!;
    const self = probabilities[row + given]!;
    if (method === 'self_confidence') {
      quality[i] = self;
    } else {
      let other = 0;
      for (let c = 0; c < numClasses; c++) if (c !== given) other = Math.max(other, probabilities[row + c]!);
      // cleanlab maps the margin from [-1, 1] to [0, 1].
      quality[i] = (self - other + 1) / 2;
    }
  }
  return quality;
}

export function confidentLearning(
  probabilities: Float32Array | number[],
  labels: ArrayLike<number>,
  numClasses: number,
  options: { rankBy?: LabelQualityMethod } = {},
): ConfidentLearningResult {
  const n = labels.length;
  const k = numClasses;
  if (probabilities.length !== n * k) throw new Error(`confidentLearning: ${probabilities.length} probabilities for ${n} images x ${k} classes`);
  const thresholds = perClassThresholds(probabilities, labels, k);
  const joint = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const column = new Int32Array(n);
  const givenCounts = new Array<number>(k).fill(0);
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const given = labels[i]!;
    givenCounts[given]!++;
    const row = i * k;
    if (argmaxRow(probabilities, row, k) === given) correct++;
    column[i] = confidentClass(probabilities, row, k, thresholds);
    if (column[i]! >= 0) joint[given]![column[i]!]!++;
  }
  const calibrated = joint.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total === 0 ? row.map(() => 0) : row.map((v) => (v / total) * givenCounts[i]!);
  });

  // Prune by noise rate: for each off-diagonal cell, the images of that given label with the largest
  // margin towards the cell's class, as many as the calibrated joint estimates are there.
  const flagged = new Uint8Array(n);
  const byGiven: number[][] = Array.from({ length: k }, () => []);
  for (let i = 0; i < n; i++) byGiven[labels[i]!]!.push(i);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      if (i === j) continue;
      const count = Math.round(calibrated[i]![j]!);
      if (count === 0) continue;
      const members = byGiven[i]!.map((index) => ({ index, margin: probabilities[index * k + j]! - probabilities[index * k + i]! }));
      members.sort((a, b) => b.margin - a.margin || a.index - b.index);
      for (const member of members.slice(0, count)) flagged[member.index] = 1;
    }
  }

  const selfConfidence = labelQuality(probabilities, labels, k, 'self_confidence');
  const margins = labelQuality(probabilities, labels, k, 'normalized_margin');
  const quality = options.rankBy === 'normalized_margin' ? margins : selfConfidence;
  const issues: RankedLabelIssue[] = [];
  for (let i = 0; i < n; i++) {
    const given = labels[i]!;
    if (!flagged[i] || argmaxRow(probabilities, i * k, k) === given) continue;
    let suggested = column[i]!;
    if (suggested < 0 || suggested === given) {
      suggested = -1;
      for (let c = 0; c < k; c++) if (c !== given && (suggested < 0 || probabilities[i * k + c]! > probabilities[i * k + suggested]!)) suggested = c;
    }
    issues.push({ index: i, given, suggested, selfConfidence: selfConfidence[i]!, normalizedMargin: 2 * margins[i]! - 1, score: 1 - quality[i]! });
  }
  issues.sort((a, b) => b.score - a.score || a.index - b.index);
  return { thresholds, confidentJoint: joint, calibratedJoint: calibrated, issues, accuracy: n === 0 ? 0 : correct / n };
}
