import { describe, expect, it } from 'vitest';
import { epochSeconds, planEpochs, replanEpochs } from './budget.js';

describe('fitting a run to a time budget', () => {
  it('counts training and validation time, with a margin for data loading', () => {
    expect(epochSeconds({ trainImages: 850, validationImages: 85, trainImagesPerSecond: 100, inferImagesPerSecond: 85 })).toBeCloseTo(9.5 / 0.85, 5);
  });

  it.each([
    { budget: 1200, perEpoch: 60, max: 200, epochs: 20, says: '20 of 200 epochs fit' },
    { budget: 1200, perEpoch: 60, max: 10, epochs: 10, says: 'all 10 epochs fit' },
    { budget: 30, perEpoch: 60, max: 10, epochs: 1, says: 'more than the 30 s budget' },
  ])('plans $epochs epochs for $budget s at $perEpoch s per epoch (at most $max)', ({ budget, perEpoch, max, epochs, says }) => {
    const plan = planEpochs(budget, perEpoch, max);
    expect(plan.epochs).toBe(epochs);
    expect(plan.reason).toContain(says);
  });

  it('keeps a plan that ends within the budget and uses at least 90 % of it', () => {
    const base = { budgetSeconds: 1200, elapsedSeconds: 60, epochsDone: 1, plannedEpochs: 20, maxEpochs: 200 };
    // 60 + 19 x 58 = 1,162 s, and 60 + 19 x 54 = 1,086 s: both within the budget, both over 90 % of it.
    expect(replanEpochs({ ...base, lastEpochSeconds: 58 })).toBeNull();
    expect(replanEpochs({ ...base, lastEpochSeconds: 54 })).toBeNull();
  });

  it('re-plans at any projected overrun, and when the plan would leave over 10 % of the budget unused', () => {
    const base = { budgetSeconds: 1200, elapsedSeconds: 60, epochsDone: 1, plannedEpochs: 20, maxEpochs: 200 };
    // 60 + 19 x 62 = 1,238 s, 3 % over: 1,140 s remain, and at 62 s (with 2 % to spare) 18 more fit.
    expect(replanEpochs({ ...base, lastEpochSeconds: 62 })).toMatchObject({ epochs: 1 + 18 });
    // Twice as slow as planned: 9 more epochs fit; twice as fast, 37.
    expect(replanEpochs({ ...base, lastEpochSeconds: 120 })).toMatchObject({ epochs: 1 + 9 });
    expect(replanEpochs({ ...base, lastEpochSeconds: 30 })).toMatchObject({ epochs: 1 + 37 });
    // The run seen on cat and dog photos: planned for 69 epochs of 17 s, each took 17.5 s.
    const photos = replanEpochs({ budgetSeconds: 1200, elapsedSeconds: 40 * 17.5, epochsDone: 40, plannedEpochs: 69, maxEpochs: 1000, lastEpochSeconds: 17.5 });
    expect(photos!.epochs).toBeLessThanOrEqual(68);
    expect(40 * 17.5 + (photos!.epochs - 40) * 17.5).toBeLessThanOrEqual(1200);
  });

  it('adds no epoch that would not fit: a run planned for one epoch that took 253 s of a 360 s budget ends after it', () => {
    // Seen on photos: forcing at least one more epoch cut the run off half-way through it, never annealed.
    const plan = replanEpochs({ budgetSeconds: 360, elapsedSeconds: 253, epochsDone: 1, plannedEpochs: 1, maxEpochs: 1000, lastEpochSeconds: 253 });
    expect(plan === null || plan.epochs === 1).toBe(true);
    // Planned for three, but only one more fits: two.
    expect(replanEpochs({ budgetSeconds: 360, elapsedSeconds: 150, epochsDone: 1, plannedEpochs: 3, maxEpochs: 1000, lastEpochSeconds: 150 })).toMatchObject({ epochs: 2 });
    // Planned for three, and none more fits: the run ends after the one done.
    const ends = replanEpochs({ budgetSeconds: 360, elapsedSeconds: 300, epochsDone: 1, plannedEpochs: 3, maxEpochs: 1000, lastEpochSeconds: 300 });
    expect(ends).toMatchObject({ epochs: 1 });
    expect(ends!.reason).toContain('no further epoch fits');
  });
});
