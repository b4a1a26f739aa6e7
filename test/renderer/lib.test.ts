/** The renderer's pure helpers: chart series alignment, the time estimate, colour maps and number formats. */
import { describe, expect, it } from 'vitest';
import { colormapNames, colormapTable, moduleLabel } from '../../renderer/src/lib/colormaps.js';
import { alignSeries } from '../../renderer/src/lib/curves.js';
import { epochsWithinBudget, estimateFromSteps, estimateTraining } from '../../renderer/src/lib/estimate.js';
import { compactCount, duration, percent } from '../../renderer/src/lib/format.js';
import { defaultExportFolder, describeExportCheck } from '../../renderer/src/lib/modelExport.js';
import { runToInspect } from '../../renderer/src/lib/runChoice.js';
import type { RunSummary } from '../../electron/common/contract/index.js';

describe('alignSeries', () => {
  it('puts per-batch and per-epoch points on one sorted x axis with gaps as null', () => {
    const train = [{ x: 0.5, y: 2 }, { x: 1, y: 1.8 }, { x: 1.5, y: 1.6 }];
    const val = [{ x: 1, y: 1.9 }];
    expect(alignSeries([train, val])).toEqual([[0.5, 1, 1.5], [2, 1.8, 1.6], [null, 1.9, null]]);
  });
});

describe('estimateTraining', () => {
  const measured = { runId: 3, imagesPerSecond: 100, imageSize: 16, batchSize: 50, backend: 'wasm' };

  it('says nothing without a measured speed', () => {
    expect(estimateTraining(null, { imageSize: 16, epochs: 2, trainImages: 800, valImages: 100 })).toBeNull();
  });

  it('uses the measured speed at the same size: train plus a third-cost validation pass per epoch', () => {
    const estimate = estimateTraining(measured, { imageSize: 16, epochs: 2, trainImages: 800, valImages: 300 })!;
    expect(estimate.seconds).toBeCloseTo(2 * (8 + 1));
    expect(estimate.basis).toContain('measured (run #3, wasm)');
  });

  it('scales a speed measured at another size by the pixel count, and says so', () => {
    const estimate = estimateTraining(measured, { imageSize: 32, epochs: 1, trainImages: 800, valImages: 0 })!;
    expect(estimate.imagesPerSecond).toBeCloseTo(25);
    expect(estimate.basis).toMatch(/scaled from 100 img\/s at 16×16/);
  });
});

describe('estimateFromSteps and epochsWithinBudget', () => {
  const speed = { backend: 'wasm', trainImagesPerSecond: 100, inferImagesPerSecond: 300, source: 'measured' as const };

  it('says nothing without a measurement', () => {
    expect(estimateFromSteps(null, { epochs: 2, trainImages: 800, valImages: 100, batchSize: 50 })).toBeNull();
  });

  it('counts whole batches, validation at the inference speed, and the margin for loading images', () => {
    // 800 images in batches of 64: 12 whole batches (768 images) are trained per epoch.
    const estimate = estimateFromSteps(speed, { epochs: 2, trainImages: 800, valImages: 300, batchSize: 64 })!;
    expect(estimate.seconds).toBeCloseTo((2 * (768 / 100 + 300 / 300)) / 0.85);
    expect(estimate.basis).toBe('100 img/s on wasm, measured just now');
    expect(estimateFromSteps({ ...speed, source: 'cached' }, { epochs: 1, trainImages: 100, valImages: 0, batchSize: 50 })!.basis).toContain('measured earlier');
  });

  it('fits whole epochs in a budget, at least one and at most those asked for', () => {
    const estimate = { seconds: 600, imagesPerSecond: 100, basis: '' }; // 10 epochs of a minute each
    expect(epochsWithinBudget(estimate, 10, 3.5)).toBe(3);
    expect(epochsWithinBudget(estimate, 10, 60)).toBe(10);
    expect(epochsWithinBudget(estimate, 10, 0.1)).toBe(1);
  });
});

describe('colour maps', () => {
  it.each(colormapNames)('%s runs over 256 entries from its first anchor to its last', (name) => {
    const table = colormapTable(name);
    expect(table).toHaveLength(768);
    if (name === 'grey') expect([...table.slice(0, 3), ...table.slice(765)]).toEqual([0, 0, 0, 255, 255, 255]);
  });

  it('names attention modules in words', () => {
    expect(moduleLabel('stage2_attn1_mask')).toBe('Stage 2 · module 1');
  });
});

describe('formats', () => {
  it.each([
    [68_122, '68.1 k'],
    [262_650, '262.7 k'],
    [1_030_394, '1.03 M'],
    [31_810_728, '31.8 M'],
  ])('compactCount(%i) = %s', (value, text) => expect(compactCount(value)).toBe(text));

  it.each([
    [42, '42 s'],
    [185, '3 min 05 s'],
    [7440, '2 h 04 min'],
  ])('duration(%i) = %s', (seconds, text) => expect(duration(seconds)).toBe(text));

  it('prints missing values as a dash', () => {
    expect(percent(null)).toBe('–');
    expect(duration(Number.NaN)).toBe('–');
  });
});

describe('runToInspect', () => {
  const run = (id: number, epochsDone: number): RunSummary => ({
    id, name: `run ${id}`, status: epochsDone > 0 ? 'completed' : 'running', createdAt: id, startedAt: id, finishedAt: null,
    config: {} as RunSummary['config'], classNames: ['a', 'b'], backend: 'wasm', epochsDone,
    images: { train: 8, val: 2, test: 2 }, valAccuracy: null, error: null, waiting: null,
  });
  // Newest first, as listRuns answers: run 3 is in its first epoch, with no checkpoint yet.
  const runs = [run(3, 0), run(2, 4), run(1, 2)];

  it.each([
    ['the run chosen last, when it has a checkpoint', 2, 1, 2],
    ['not a run in its first epoch (the Training view chose it): the one shown stays', 3, 1, 1],
    ['not a run in its first epoch, nothing shown yet: the newest with a checkpoint', 3, null, 2],
    ['nothing chosen: the newest with a checkpoint', null, null, 2],
    ['a run that is gone: the one shown stays', 9, 1, 1],
  ])('%s', (_name, wanted, shown, expected) => {
    expect(runToInspect(runs, wanted, shown)).toBe(expected);
  });

  it('is null when no run has finished an epoch', () => {
    expect(runToInspect([run(1, 0)], 1, null)).toBeNull();
  });
});

describe('model export helpers', () => {
  it('proposes <workspace>/exports/run-<id> in the workspace path\'s own separator', () => {
    expect(defaultExportFolder('/home/me/studio/flowers', 3)).toBe('/home/me/studio/flowers/exports/run-3');
    expect(defaultExportFolder('/home/me/studio/flowers/', 3)).toBe('/home/me/studio/flowers/exports/run-3');
    expect(defaultExportFolder('C:\\Users\\me\\flowers', 12)).toBe('C:\\Users\\me\\flowers\\exports\\run-12');
    expect(defaultExportFolder(null, 1)).toBe('');
  });

  it('names the file, the runtime and the agreement of a check', () => {
    expect(describeExportCheck({ format: 'onnx', runtime: 'onnxruntime-node 1.30.0 (CPU)', images: 100, samePredictions: 100, maxProbabilityDifference: 3.14e-7 })).toBe(
      'model.onnx in onnxruntime-node 1.30.0 (CPU): 100 of 100 predictions equal, probabilities within 3.1e-7',
    );
  });
});
