/**
 * Learning-rate schedules, evaluated once per optimisation step. Configs are plain data (stored with
 * a run and in checkpoints); durations are in epochs or fractions of the run, which a user reasons in,
 * and become step counts only once the run's steps per epoch are known.
 */

/** A duration: whole or fractional epochs, or a fraction (0..1) of the whole run. */
export type Duration = { epochs: number } | { fraction: number };

/**
 * The paper's schedule (spec §4.1): lr divided by 10 at fixed points, e.g. 64k and 96k of 160k
 * iterations, i.e. fractions 0.4 and 0.6 of the run (spec §4.3 for short runs).
 */
export interface StepScheduleConfig {
  kind: 'step';
  /** Learning rate before the first milestone (paper: 0.1). */
  baseLearningRate: number;
  /** Where the rate is multiplied by `factor`; a milestone at step s applies from step s on. */
  milestones: Duration[];
  /** Multiplier at each milestone; default 0.1 (the paper's "divided by 10"). */
  factor?: number;
  /** Linear ramp from ~0 to the base rate; default none. */
  warmup?: Duration;
}

/** Cosine decay to `finalLearningRate` after a linear warm-up (spec §4.3: ~10 % warm-up). */
export interface CosineScheduleConfig {
  kind: 'cosine';
  baseLearningRate: number;
  warmup?: Duration;
  /** Rate at the last step; default 0. */
  finalLearningRate?: number;
}

export interface ConstantScheduleConfig {
  kind: 'constant';
  baseLearningRate: number;
}

export type ScheduleConfig = StepScheduleConfig | CosineScheduleConfig | ConstantScheduleConfig;

export interface RunLength {
  stepsPerEpoch: number;
  totalSteps: number;
}

/** Learning rate at a 0-based global step. */
export type LearningRateSchedule = (step: number) => number;

export function durationToSteps(duration: Duration, run: RunLength): number {
  const steps = 'epochs' in duration ? duration.epochs * run.stepsPerEpoch : duration.fraction * run.totalSteps;
  return Math.round(steps);
}

/**
 * Step `s` of a warm-up of `w` steps runs at base·(s+1)/w: the first step already moves (a zero rate
 * wastes a step) and step w-1 reaches the base rate.
 */
function warmupFactor(step: number, warmupSteps: number): number {
  return step < warmupSteps ? (step + 1) / warmupSteps : 1;
}

export function createSchedule(config: ScheduleConfig, run: RunLength): LearningRateSchedule {
  const base = config.baseLearningRate;
  if (!(base >= 0)) throw new Error(`The learning rate must be zero or positive, not ${base}.`);
  switch (config.kind) {
    case 'constant':
      return () => base;
    case 'step': {
      const factor = config.factor ?? 0.1;
      const milestones = config.milestones.map((m) => durationToSteps(m, run)).sort((a, b) => a - b);
      const warmupSteps = config.warmup ? durationToSteps(config.warmup, run) : 0;
      return (step) => {
        let rate = base;
        for (const milestone of milestones) if (step >= milestone) rate *= factor;
        return rate * warmupFactor(step, warmupSteps);
      };
    }
    case 'cosine': {
      const final = config.finalLearningRate ?? 0;
      const warmupSteps = config.warmup ? durationToSteps(config.warmup, run) : 0;
      const decaySteps = Math.max(1, run.totalSteps - warmupSteps - 1);
      return (step) => {
        if (step < warmupSteps) return base * warmupFactor(step, warmupSteps);
        const progress = Math.min(1, (step - warmupSteps) / decaySteps);
        return final + (base - final) * 0.5 * (1 + Math.cos(Math.PI * progress));
      };
    }
  }
}
