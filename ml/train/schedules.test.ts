import { describe, expect, it } from 'vitest';
import { createSchedule, type ScheduleConfig } from './schedules.js';

const run = { stepsPerEpoch: 10, totalSteps: 100 };

describe('learning-rate schedules', () => {
  const cases: { name: string; config: ScheduleConfig; expected: [step: number, lr: number][] }[] = [
    { name: 'constant', config: { kind: 'constant', baseLearningRate: 0.05 }, expected: [[0, 0.05], [99, 0.05]] },
    {
      name: "the paper's step schedule at fractions 0.4 and 0.6",
      config: { kind: 'step', baseLearningRate: 0.1, milestones: [{ fraction: 0.4 }, { fraction: 0.6 }] },
      expected: [[0, 0.1], [39, 0.1], [40, 0.01], [59, 0.01], [60, 0.001], [99, 0.001]],
    },
    {
      name: 'a step schedule at epochs, with warm-up and factor 0.5',
      config: { kind: 'step', baseLearningRate: 0.2, milestones: [{ epochs: 5 }], factor: 0.5, warmup: { epochs: 1 } },
      expected: [[0, 0.02], [4, 0.1], [9, 0.2], [10, 0.2], [49, 0.2], [50, 0.1]],
    },
    {
      name: 'cosine with 10 % linear warm-up',
      config: { kind: 'cosine', baseLearningRate: 0.1, warmup: { fraction: 0.1 } },
      // After warm-up: 0.05 * (1 + cos(pi * (s - 10) / 89)).
      expected: [[0, 0.01], [9, 0.1], [10, 0.1], [10 + 89 / 2, 0.05], [99, 0]],
    },
    {
      name: 'cosine without warm-up to a final rate',
      config: { kind: 'cosine', baseLearningRate: 1, finalLearningRate: 0.1 },
      expected: [[0, 1], [99, 0.1], [150, 0.1]],
    },
  ];

  for (const { name, config, expected } of cases) {
    it(`gives the documented rates: ${name}`, () => {
      const schedule = createSchedule(config, run);
      for (const [step, lr] of expected) expect(schedule(step), `step ${step}`).toBeCloseTo(lr, 10);
    });
  }

  it('decays monotonically after warm-up', () => {
    const schedule = createSchedule({ kind: 'cosine', baseLearningRate: 0.1, warmup: { epochs: 2 } }, run);
    for (let s = 20; s < 99; s++) expect(schedule(s + 1)).toBeLessThanOrEqual(schedule(s));
    for (let s = 0; s < 19; s++) expect(schedule(s + 1)).toBeGreaterThan(schedule(s));
  });

  it('rejects a negative learning rate', () => {
    expect(() => createSchedule({ kind: 'constant', baseLearningRate: -1 }, run)).toThrow(/zero or positive/);
  });
});
