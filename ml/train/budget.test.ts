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

  it('re-plans after an epoch only when the projection is off by more than 10 %', () => {
    const base = { budgetSeconds: 1200, elapsedSeconds: 60, epochsDone: 1, plannedEpochs: 20, maxEpochs: 200 };
    expect(replanEpochs({ ...base, lastEpochSeconds: 62 })).toBeNull();
    // Twice as slow as planned: 1,140 s remain, and at 120 s each 9 more epochs fit; twice as fast, 38.
    expect(replanEpochs({ ...base, lastEpochSeconds: 120 })).toMatchObject({ epochs: 1 + 9 });
    expect(replanEpochs({ ...base, lastEpochSeconds: 30 })).toMatchObject({ epochs: 1 + 38 });
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
