/**
 * K-fold cross-validation for out-of-sample predictions: every labelled image gets a fold, each class
 * dealt round-robin over the folds after a seeded shuffle (stratified), so every fold's model trains on
 * all classes in their proportions and predicts images it never saw.
 */
import { Random } from '../train/random.js';

export function stratifiedFolds(labels: ArrayLike<number>, folds: number, seed = 1): Int32Array {
  if (!Number.isInteger(folds) || folds < 2) throw new Error(`folds must be an integer of at least 2, not ${folds}`);
  const assignment = new Int32Array(labels.length);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const list = byClass.get(labels[i]!) ?? [];
    list.push(i);
    byClass.set(labels[i]!, list);
  }
  const random = new Random(seed);
  // One running offset across classes keeps the folds' sizes within one image of each other.
  let next = 0;
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = byClass.get(c)!;
    for (let i = members.length - 1; i > 0; i--) {
      const j = Math.floor(random.nextFloat() * (i + 1));
      [members[i], members[j]] = [members[j]!, members[i]!];
    }
    for (const index of members) assignment[index] = next++ % folds;
  }
  return assignment;
}

export interface FoldPlan {
  folds: number;
  epochsPerFold: number;
  /** Estimated seconds for the whole job. */
  estimatedSeconds: number;
  reason: string;
}

/**
 * Chooses K and the epochs per fold for a time budget. Each fold trains on (K−1)/K of the images and
 * predicts the rest, so the job costs about K x epochs x (K−1)/K x N training images plus N predictions.
 * More folds give each model more data; fewer folds leave more epochs each. Without a requested K, the
 * largest K in 2..maxFolds that still leaves `minEpochs` epochs per fold is taken.
 */
export function planFolds(options: {
  images: number;
  trainImagesPerSecond: number;
  inferImagesPerSecond: number;
  budgetSeconds: number | null;
  maxEpochs: number;
  requestedFolds?: number;
  maxFolds?: number;
  minEpochs?: number;
}): FoldPlan {
  const { images, trainImagesPerSecond, inferImagesPerSecond, maxEpochs } = options;
  const maxFolds = options.maxFolds ?? 5;
  const minEpochs = Math.min(options.minEpochs ?? 3, maxEpochs);
  const cost = (k: number, epochs: number) => k * epochs * ((k - 1) / k) * images / trainImagesPerSecond + images / inferImagesPerSecond;
  const epochsThatFit = (k: number) => {
    if (options.budgetSeconds === null) return maxEpochs;
    const perEpoch = (k - 1) * images / trainImagesPerSecond;
    return Math.min(maxEpochs, Math.floor((options.budgetSeconds - images / inferImagesPerSecond) / perEpoch));
  };
  if (options.requestedFolds !== undefined) {
    const k = options.requestedFolds;
    const epochs = Math.max(1, epochsThatFit(k));
    return { folds: k, epochsPerFold: epochs, estimatedSeconds: cost(k, epochs), reason: `${k} folds as asked, ${epochs} epochs each fit the budget` };
  }
  for (let k = maxFolds; k >= 2; k--) {
    const epochs = epochsThatFit(k);
    if (epochs >= minEpochs || k === 2) {
      const e = Math.max(1, epochs);
      return {
        folds: k, epochsPerFold: e, estimatedSeconds: cost(k, e),
        reason: options.budgetSeconds === null ? `${k} folds of ${e} epochs` : `${k} folds of ${e} epochs fit ${Math.round(options.budgetSeconds / 60)} min at ${Math.round(trainImagesPerSecond)} training images/s`,
      };
    }
  }
  throw new Error('unreachable');
}
