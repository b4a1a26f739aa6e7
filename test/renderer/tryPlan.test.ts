/** The Try view's plain helpers: how tried images are split into requests, upload limits, top classes. */
import { describe, expect, it } from 'vitest';
import { MAX_TRY_BATCH, MAX_UPLOAD_BATCH_BYTES, MAX_UPLOAD_BYTES } from '../../electron/common/contract/tryLimits.js';
import { PATH_BATCH, planBatches, topClasses, uploadProblem } from '../../renderer/src/lib/tryPlan.js';

const paths = (n: number) => Array.from({ length: n }, () => ({ uploadBytes: 0 }));
const uploads = (...sizes: number[]) => sizes.map((uploadBytes) => ({ uploadBytes }));
const MB = 1024 * 1024;

describe('planBatches', () => {
  it.each([
    ['nothing', paths(0), []],
    ['one path', paths(1), [[0, 1]]],
    ['a folder of 200 paths, in requests of PATH_BATCH', paths(200), [[0, 32], [32, 64], [64, 96], [96, 128], [128, 160], [160, 192], [192, 200]]],
    ['small uploads, by count', uploads(...Array<number>(40).fill(1000)), [[0, 32], [32, 40]]],
    ['uploads, by the bytes one request may carry', uploads(4 * MB, 4 * MB, 4 * MB, 1 * MB), [[0, 2], [2, 4]]],
    ['an upload as large as a request carries, alone', uploads(1000, MAX_UPLOAD_BATCH_BYTES, 1000), [[0, 1], [1, 2], [2, 3]]],
  ] as const)('splits %s', (_what, items, batches) => {
    expect(planBatches(items)).toEqual(batches);
  });

  it('never puts more in one request than the contract accepts', () => {
    expect(PATH_BATCH).toBeLessThanOrEqual(MAX_TRY_BATCH);
    expect(planBatches(paths(300), 1000).every(([start, end]) => end - start <= MAX_TRY_BATCH)).toBe(true);
  });
});

describe('uploadProblem', () => {
  it('names a file over the upload limit and says what to do instead', () => {
    expect(uploadProblem('holiday.jpg', 23.4 * MB)).toBe('holiday.jpg is 23.4 MB, over the 10 MB limit for an upload: type its path instead');
  });

  it('names an empty file (or a folder the browser shows as one)', () => {
    expect(uploadProblem('photos', 0)).toMatch(/^photos is empty/);
  });

  it('accepts a file up to the limit', () => {
    expect(uploadProblem('cat.jpg', MAX_UPLOAD_BYTES)).toBeNull();
  });
});

describe('topClasses', () => {
  it('ranks the most probable classes first, ties in class order', () => {
    expect(topClasses([0.1, 0.4, 0.1, 0.3, 0.1], ['a', 'b', 'c', 'd', 'e'], 3)).toEqual([
      { index: 1, name: 'b', probability: 0.4 },
      { index: 3, name: 'd', probability: 0.3 },
      { index: 0, name: 'a', probability: 0.1 },
    ]);
  });
});
