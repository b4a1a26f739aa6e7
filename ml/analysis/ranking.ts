/** Orderings of stored predictions that the inspect views page through. */

export interface ScoredPrediction {
  id: number;
  label: number;
  predicted: number;
  /** Probability of the predicted class. */
  confidence: number;
  loss: number;
}

/** The highest-loss predictions first (ties by id, so pages are stable). */
export function topLosses<T extends ScoredPrediction>(predictions: readonly T[], limit: number): T[] {
  return [...predictions].sort((a, b) => b.loss - a.loss || a.id - b.id).slice(0, limit);
}

/** Images behind one confusion-matrix cell, most confident first. */
export function cellImages<T extends ScoredPrediction>(predictions: readonly T[], actual: number, predicted: number): T[] {
  return predictions
    .filter((p) => p.label === actual && p.predicted === predicted)
    .sort((a, b) => b.confidence - a.confidence || a.id - b.id);
}

export interface RegressionEntry {
  id: number;
  label: number;
  predictedA: number;
  predictedB: number;
  /** 'fixed': wrong in A, right in B; 'broken': right in A, wrong in B. */
  change: 'fixed' | 'broken';
}

/** Per-image changes between two runs evaluated on the same images (matched by id). */
export function regressionDiff(a: readonly ScoredPrediction[], b: readonly ScoredPrediction[]): RegressionEntry[] {
  const byId = new Map(b.map((p) => [p.id, p]));
  const changes: RegressionEntry[] = [];
  for (const pa of a) {
    const pb = byId.get(pa.id);
    if (!pb) continue;
    const rightA = pa.predicted === pa.label;
    const rightB = pb.predicted === pb.label;
    if (rightA !== rightB) {
      changes.push({ id: pa.id, label: pa.label, predictedA: pa.predicted, predictedB: pb.predicted, change: rightB ? 'fixed' : 'broken' });
    }
  }
  return changes.sort((x, y) => x.id - y.id);
}
