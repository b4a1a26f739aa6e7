/**
 * How long a run will take, from a speed the engine measured (images per second of a previous run's
 * last epoch, for the same variant on this machine). Cost grows with the pixel count, so a speed
 * measured at another input size is scaled by the ratio of areas: a rough figure, and said to be one.
 */
import type { MeasuredSpeed, SpeedEstimate } from '../../../electron/common/contract/index.js';

export interface TimeEstimate {
  seconds: number;
  imagesPerSecond: number;
  /** Where the speed comes from, in words. */
  basis: string;
}

export function estimateTraining(
  measured: MeasuredSpeed | null,
  plan: { imageSize: number; epochs: number; trainImages: number; valImages: number },
): TimeEstimate | null {
  if (!measured || measured.imagesPerSecond <= 0 || plan.trainImages <= 0) return null;
  const scale = (measured.imageSize / plan.imageSize) ** 2;
  const imagesPerSecond = measured.imagesPerSecond * scale;
  // Validation is a forward pass only: about a third of a training step per image.
  const perEpoch = plan.trainImages / imagesPerSecond + plan.valImages / (imagesPerSecond * 3);
  const where = `run #${measured.runId}${measured.backend ? `, ${measured.backend}` : ''}`;
  const basis =
    measured.imageSize === plan.imageSize
      ? `${imagesPerSecond.toFixed(0)} img/s measured (${where})`
      : `≈ ${imagesPerSecond.toFixed(0)} img/s, scaled from ${measured.imagesPerSecond.toFixed(0)} img/s at ${measured.imageSize}×${measured.imageSize} (${where})`;
  return { seconds: perEpoch * plan.epochs, imagesPerSecond, basis };
}

/**
 * The same from a measurement of bare training steps (before any run of the model): epochs also load and
 * augment images and validate, so the figure carries the same margin the studio plans time budgets with.
 */
export function estimateFromSteps(
  speed: SpeedEstimate | null,
  plan: { epochs: number; trainImages: number; valImages: number; batchSize: number },
): TimeEstimate | null {
  if (!speed || speed.trainImagesPerSecond <= 0 || plan.trainImages <= 0) return null;
  const trained = Math.floor(plan.trainImages / plan.batchSize) * plan.batchSize;
  const perEpoch = (trained / speed.trainImagesPerSecond + plan.valImages / speed.inferImagesPerSecond) / 0.85;
  const basis = `${speed.trainImagesPerSecond.toFixed(0)} img/s on ${speed.backend}, ${speed.source === 'measured' ? 'measured just now' : 'measured earlier on this machine'}`;
  return { seconds: perEpoch * plan.epochs, imagesPerSecond: speed.trainImagesPerSecond, basis };
}

/** Epochs that fit in a budget at an estimate's pace (what the studio will train). */
export function epochsWithinBudget(estimate: TimeEstimate, epochs: number, budgetMinutes: number): number {
  const perEpoch = estimate.seconds / epochs;
  return Math.max(1, Math.min(epochs, Math.floor((budgetMinutes * 60) / perEpoch)));
}
