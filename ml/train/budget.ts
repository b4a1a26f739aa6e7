/**
 * Fitting a run to a time budget: how many epochs fit, from the measured speed, so that the learning-rate
 * schedule (warm-up, decay) is laid over a run that really ends within the budget instead of one cut off
 * part-way. Planned from a short measurement before the first epoch, and corrected once the first epoch
 * has been timed (data loading, validation and the mask panel included).
 */

export interface EpochCost {
  trainImages: number;
  /** Images evaluated after each epoch (the validation split). */
  validationImages: number;
  trainImagesPerSecond: number;
  inferImagesPerSecond: number;
}

/**
 * A measurement of bare training steps runs faster than an epoch, which also decodes and augments
 * images in JavaScript and writes a checkpoint: plan with a margin.
 */
const STEP_SPEED_MARGIN = 0.85;

export function epochSeconds(cost: EpochCost): number {
  return (cost.trainImages / cost.trainImagesPerSecond + cost.validationImages / cost.inferImagesPerSecond) / STEP_SPEED_MARGIN;
}

export interface BudgetPlan {
  epochs: number;
  /** Estimated seconds per epoch the plan rests on. */
  epochSeconds: number;
  /** Why, in a line a user can read. */
  reason: string;
}

/** The most epochs (at least 1, at most `maxEpochs`) whose estimated time fits in `budgetSeconds`. */
export function planEpochs(budgetSeconds: number, secondsPerEpoch: number, maxEpochs: number): BudgetPlan {
  const fit = Math.floor(budgetSeconds / secondsPerEpoch);
  const epochs = Math.max(1, Math.min(maxEpochs, fit));
  const minutes = (s: number) => (s >= 90 ? `${(s / 60).toFixed(1)} min` : `${Math.round(s)} s`);
  const reason =
    fit < 1
      ? `one epoch takes about ${minutes(secondsPerEpoch)}, more than the ${minutes(budgetSeconds)} budget: training 1 epoch, which the budget will cut short`
      : fit >= maxEpochs
        ? `all ${maxEpochs} epochs fit in the budget (about ${minutes(secondsPerEpoch)} each)`
        : `${epochs} of ${maxEpochs} epochs fit in the ${minutes(budgetSeconds)} budget (about ${minutes(secondsPerEpoch)} each), so the schedule anneals over ${epochs}`;
  return { epochs, epochSeconds: secondsPerEpoch, reason };
}

/** Epochs vary by a few per cent on a quiet machine: a re-plan leaves room for that. */
const REPLAN_EPOCH_MARGIN = 1.02;

/**
 * After an epoch: the epochs that fit in what is left of the budget at the speed actually seen, or null
 * when the current plan still ends within the budget and uses at least 90 % of it. Any projected
 * overrun re-plans, however small: a run the budget cuts off is never annealed (a 20-minute run planned
 * for 69 epochs of 17 s, within 10 %, took 17.5 s an epoch and was cut off two epochs before its end).
 */
export function replanEpochs(options: { budgetSeconds: number; elapsedSeconds: number; epochsDone: number; plannedEpochs: number; maxEpochs: number; lastEpochSeconds: number }): BudgetPlan | null {
  const { budgetSeconds, elapsedSeconds, epochsDone, plannedEpochs, maxEpochs, lastEpochSeconds } = options;
  const projected = elapsedSeconds + (plannedEpochs - epochsDone) * lastEpochSeconds;
  if (projected <= budgetSeconds && projected >= 0.9 * budgetSeconds) return null;
  // Unlike a first plan, a re-plan may add no epoch: when another one does not fit in what is left,
  // the run ends (annealed) after the epochs done instead of being cut off part-way through one more.
  const perEpoch = lastEpochSeconds * REPLAN_EPOCH_MARGIN;
  const more = Math.max(0, Math.min(maxEpochs - epochsDone, Math.floor((budgetSeconds - elapsedSeconds) / perEpoch)));
  const epochs = Math.max(epochsDone, epochsDone + more);
  if (epochs === plannedEpochs) return null;
  const reason =
    epochs === epochsDone
      ? `re-planned after epoch ${epochsDone} at the speed seen: no further epoch fits in the budget, so the run ends here`
      : `re-planned after epoch ${epochsDone} at the speed seen: ${epochs} epochs fit in the budget`;
  return { epochs, epochSeconds: lastEpochSeconds, reason };
}
