/**
 * How long a run will take, from a speed the engine measured (images per second of a previous run's
 * last epoch, for the same variant on this machine). Cost grows with the pixel count, so a speed
 * measured at another input size is scaled by the ratio of areas: a rough figure, and said to be one.
 */
import type { MeasuredSpeed } from '../../../electron/common/contract/index.js';

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
