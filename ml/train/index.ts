/**
 * The training library: data sources, preprocessing, optimisers, schedules, the `Trainer` loop and
 * evaluation. Pure tfjs + JavaScript, usable in any worker. File checkpoints need Node's file system
 * and live outside this barrel, as `ml/model/io.ts` does: import `./checkpoint.js` and `./checkpointStore.js`.
 * README.md explains the data-source contract and what is deterministic.
 */
export { checkBatch, imageSize, InMemoryDataSource, sequentialOrder } from './dataSource.js';
export type { DataSource, ImageBatch, ImageShape, InMemoryDataSourceOptions } from './dataSource.js';
export { computeChannelStats } from './normalization.js';
export type { ChannelStats } from './normalization.js';
export { cifarAugmentation, imagesToTensor, noAugmentation, prepareImages } from './preprocess.js';
export type { AugmentationConfig } from './preprocess.js';
export { deriveSeed, Random, shuffledIndices } from './random.js';
export { prefetchOne } from './prefetch.js';
export { createSchedule, durationToSteps } from './schedules.js';
export type { CosineScheduleConfig, ConstantScheduleConfig, Duration, LearningRateSchedule, RunLength, ScheduleConfig, StepScheduleConfig } from './schedules.js';
export { trainableParams } from './optimizer.js';
export type { Optimizer, OptimizerState, TrainableParam } from './optimizer.js';
export { SgdOptimizer } from './sgd.js';
export type { SgdConfig } from './sgd.js';
export { AdamOptimizer } from './adam.js';
export type { AdamConfig } from './adam.js';
export { createOptimizer } from './optimizers.js';
export type { OptimizerConfig } from './optimizers.js';
export { crossEntropyPerImage, meanCrossEntropy, probabilities } from './loss.js';
export { accuracyOf, addToConfusionMatrix, argmaxRows, confusionMatrix, emptyConfusionMatrix } from './metrics.js';
export type { ConfusionMatrix } from './metrics.js';
export { evaluateSource, predictSource, summarizePredictions } from './evaluate.js';
export type { Evaluation, PredictOptions, Predictions } from './evaluate.js';
export { DivergedError, trainStep } from './trainStep.js';
export type { StepResult } from './trainStep.js';
export { Trainer } from './trainer.js';
export type {
  BatchProgress,
  EpochReport,
  TrainerOptions,
  TrainerSnapshot,
  TrainerState,
  TrainingConfig,
  TrainingOutcome,
  TrainingPosition,
} from './trainer.js';
