/**
 * The Try view's plain helpers: which tried images go together in one request, what an upload that
 * is too large is told, and a prediction's top classes. No DOM, no contract calls.
 */
import { MAX_TRY_BATCH, MAX_UPLOAD_BATCH_BYTES, MAX_UPLOAD_BYTES, megabytes } from '../../../electron/common/contract/tryLimits.js';

/** Images per request for files the studio reads itself (by path): big enough to batch, small enough to show progress. */
export const PATH_BATCH = 32;

export interface BatchCandidate {
  /** Bytes sent over the contract: an upload's size, 0 for a path. */
  uploadBytes: number;
}

/**
 * Splits consecutive images into requests: at most `PATH_BATCH` of them (MAX_TRY_BATCH for small
 * uploads), and uploads adding up to at most MAX_UPLOAD_BATCH_BYTES (one larger upload goes alone).
 * Returns the index ranges [start, end).
 */
export function planBatches(items: readonly BatchCandidate[], maxCount = PATH_BATCH): [number, number][] {
  const count = Math.min(maxCount, MAX_TRY_BATCH);
  const batches: [number, number][] = [];
  let start = 0;
  let bytes = 0;
  items.forEach((item, i) => {
    const full = i - start >= count || (i > start && bytes + item.uploadBytes > MAX_UPLOAD_BATCH_BYTES);
    if (full) {
      batches.push([start, i]);
      start = i;
      bytes = 0;
    }
    bytes += item.uploadBytes;
  });
  if (start < items.length) batches.push([start, items.length]);
  return batches;
}

/** Why a file cannot be uploaded (too large), or null when it can. */
export function uploadProblem(name: string, bytes: number): string | null {
  if (bytes > MAX_UPLOAD_BYTES) {
    return `${name} is ${megabytes(bytes)}, over the ${megabytes(MAX_UPLOAD_BYTES)} limit for an upload: type its path instead`;
  }
  if (bytes === 0) return `${name} is empty (0 bytes), or a folder this browser cannot read`;
  return null;
}

export interface RankedClass {
  index: number;
  name: string;
  probability: number;
}

/** The `k` most probable classes, most probable first (ties in class order). */
export function topClasses(probabilities: readonly number[], classNames: readonly string[], k: number): RankedClass[] {
  return probabilities
    .map((probability, index) => ({ index, name: classNames[index] ?? `class ${index}`, probability }))
    .sort((a, b) => b.probability - a.probability || a.index - b.index)
    .slice(0, k);
}
