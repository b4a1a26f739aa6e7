/**
 * Which unlabelled image to label next (active learning by uncertainty sampling: Settles, "Active
 * Learning Literature Survey", 2009, §3.1), from a model's predicted probabilities.
 *
 * - margin: 1 − (p_top1 − p_top2), so images the model cannot decide between two classes come first;
 * - entropy: −Σ p log p, normalised by log K to [0, 1];
 * - leastConfidence: 1 − p_top1.
 *
 * Uncertainty alone picks near-copies (twenty images of the same confusing pair), so the order is made
 * screen by screen: each screen of `screenSize` images takes the most uncertain images left, but at
 * most `maxPerClass` with the same predicted class; the ones passed over wait for a later screen.
 */
export const uncertaintyMeasures = ['margin', 'entropy', 'leastConfidence', 'random'] as const;
export type UncertaintyMeasure = (typeof uncertaintyMeasures)[number];

function topTwo(probabilities: ArrayLike<number>, row: number, k: number): [number, number, number] {
  let first = -1;
  let second = -1;
  for (let c = 0; c < k; c++) {
    const p = probabilities[row + c]!;
    if (first < 0 || p > probabilities[row + first]!) {
      second = first;
      first = c;
    } else if (second < 0 || p > probabilities[row + second]!) {
      second = c;
    }
  }
  return [first, probabilities[row + first]!, second < 0 ? 0 : probabilities[row + second]!];
}

/** Higher is more uncertain, each in [0, 1]. `random` gives a seeded random score (the baseline). */
export function uncertaintyScores(probabilities: ArrayLike<number>, numClasses: number, measure: UncertaintyMeasure, seed = 1): Float64Array {
  const n = Math.floor(probabilities.length / numClasses);
  const scores = new Float64Array(n);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    const row = i * numClasses;
    if (measure === 'random') {
      // xorshift32: enough for a baseline order.
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      scores[i] = (state >>> 0) / 2 ** 32;
    } else if (measure === 'entropy') {
      let h = 0;
      for (let c = 0; c < numClasses; c++) {
        const p = probabilities[row + c]!;
        if (p > 0) h -= p * Math.log(p);
      }
      scores[i] = numClasses > 1 ? h / Math.log(numClasses) : 0;
    } else {
      const [, p1, p2] = topTwo(probabilities, row, numClasses);
      scores[i] = measure === 'margin' ? 1 - (p1 - p2) : 1 - p1;
    }
  }
  return scores;
}

export function predictedClasses(probabilities: ArrayLike<number>, numClasses: number): Int32Array {
  const n = Math.floor(probabilities.length / numClasses);
  return Int32Array.from({ length: n }, (_, i) => topTwo(probabilities, i * numClasses, numClasses)[0]);
}

export interface LabelNextOptions {
  measure?: UncertaintyMeasure;
  /** Images per screen; the diversity cap applies within each. Default 24. */
  screenSize?: number;
  /** At most this many images per predicted class in one screen. Default: a fair share plus one. */
  maxPerClass?: number;
  seed?: number;
}

/** Positions 0..N-1 in the order to label them. */
export function labelNextOrder(probabilities: ArrayLike<number>, numClasses: number, options: LabelNextOptions = {}): number[] {
  const measure = options.measure ?? 'margin';
  const screenSize = Math.max(1, options.screenSize ?? 24);
  const maxPerClass = Math.max(1, options.maxPerClass ?? Math.ceil(screenSize / numClasses) + 1);
  const scores = uncertaintyScores(probabilities, numClasses, measure, options.seed);
  const classes = predictedClasses(probabilities, numClasses);
  let waiting = Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]! || a - b);
  if (measure === 'random') return waiting;
  const order: number[] = [];
  while (waiting.length > 0) {
    const perClass = new Map<number, number>();
    const later: number[] = [];
    let taken = 0;
    for (const index of waiting) {
      const c = classes[index]!;
      const used = perClass.get(c) ?? 0;
      if (taken < screenSize && used < maxPerClass) {
        order.push(index);
        perClass.set(c, used + 1);
        taken++;
      } else {
        later.push(index);
      }
    }
    // A screen that took nothing new cannot happen (the first waiting image always fits), but guard anyway.
    if (taken === 0) return order.concat(later);
    waiting = later;
  }
  return order;
}
