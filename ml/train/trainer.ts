/**
 * The training loop: epochs of shuffled, augmented batches, a validation pass per epoch, progress
 * callbacks, and pause/resume/stop at batch boundaries. Everything that decides a run's outcome is in
 * the plain-data `TrainingConfig` plus the model's initial weights; `snapshot()` captures the rest
 * (optimiser state, position, normalisation), so a checkpointed run continues exactly (see README.md).
 */
import * as tf from '@tensorflow/tfjs';
import { disposeCreatedOnFailure } from '../engine/sweep.js';
import { buildInferenceModel } from '../infer/inferenceModel.js';
import { BatchTooLargeError, deviceDescription, isOutOfMemory, largestFittingBatch } from './batchFit.js';
import { checkBatch, type DataSource } from './dataSource.js';
import { evaluateSource, type Evaluation } from './evaluate.js';
import { computeChannelStats, checkChannelStats, type ChannelStats } from './normalization.js';
import { trainableParams, type Optimizer, type OptimizerState, type TrainableParam } from './optimizer.js';
import { createOptimizer, type OptimizerConfig } from './optimizers.js';
import { prefetchOne } from './prefetch.js';
import { imagesToTensor, type AugmentationConfig } from './preprocess.js';
import { deriveSeed, Random, shuffledIndices, streams } from './random.js';
import { createSchedule, type LearningRateSchedule, type ScheduleConfig } from './schedules.js';
import { ThroughputMeter } from './throughput.js';
import { trainStep } from './trainStep.js';

export interface TrainingConfig {
  epochs: number;
  /** Paper: 64 (spec §4.1); 128 for the lite models on CPU (spec §4.3). */
  batchSize: number;
  optimizer: OptimizerConfig;
  schedule: ScheduleConfig;
  augmentation: AugmentationConfig;
  /** Seeds the epoch order and the augmentation draws (not the weight initialisation: the model comes built). */
  seed: number;
  /**
   * Skip an epoch's last partial batch. Default false. Worth it when the remainder is tiny: batch norm
   * normalises with that batch's statistics, and a batch of 1 or 2 gives noisy ones.
   */
  dropLastBatch?: boolean;
}

/** Where a run stands; saved in checkpoints. */
export interface TrainingPosition {
  /** Epochs completed; the epoch in progress has 0-based index `epoch`. */
  epoch: number;
  /** Batches completed in the epoch in progress. */
  batch: number;
  /** Optimisation steps completed in the whole run. */
  step: number;
}

export interface BatchProgress {
  /** 1-based number of the epoch this batch belongs to, of `epochs`. */
  epoch: number;
  epochs: number;
  /** 1-based number of this batch in its epoch, of `batchesPerEpoch`. */
  batch: number;
  batchesPerEpoch: number;
  /** Steps completed in the run (this one included), of `totalSteps`. */
  step: number;
  totalSteps: number;
  /** Mean cross-entropy of this batch, before its update. */
  loss: number;
  /** Training accuracy on this batch (augmented images, batch-norm in training mode). */
  accuracy: number;
  /** Learning rate this step used. */
  learningRate: number;
  /** Over the last ~20 batches, data loading included, pauses excluded. */
  imagesPerSecond: number;
  /** Remaining training batches at the current speed; validation passes are not included. */
  etaSeconds: number;
}

export interface EpochReport {
  /** 1-based number of the epoch just completed. */
  epoch: number;
  epochs: number;
  step: number;
  /** Mean batch loss and accuracy over the epoch's batches run in this session. */
  trainLoss: number;
  trainAccuracy: number;
  learningRate: number;
  /** Wall time of the epoch's training batches, pauses excluded. */
  trainSeconds: number;
  /** Absent without a validation source. */
  validation?: Evaluation;
}

/** Everything beyond the model's weights that a resumed run needs. */
export interface TrainerSnapshot {
  config: TrainingConfig;
  normalization: ChannelStats;
  position: TrainingPosition;
  /** Tensors owned by the snapshot's holder: dispose them (saveCheckpoint does not). */
  optimizer: OptimizerState;
}

export interface TrainerOptions {
  /** A model whose output is logits over `train.numClasses` classes. */
  model: tf.LayersModel;
  train: DataSource;
  validation?: DataSource;
  config: TrainingConfig;
  /** Per-channel statistics; default: computed from `train` at the start of `run()`. */
  normalization?: ChannelStats;
  /**
   * Continue a run from its checkpoint (`model` must hold the checkpoint's weights). The run's
   * `config` may differ from the snapshot's (more epochs, another schedule) except, mid-epoch, in what
   * fixes the epoch's batches: batch size, seed and dropLastBatch, checked when `resume.config` is given.
   */
  resume?: Omit<TrainerSnapshot, 'config'> & { config?: TrainingConfig };
  /** Batch size of validation passes; default 2 x the training batch size (no gradients to keep). */
  validationBatchSize?: number;
  onBatch?: (progress: BatchProgress) => void;
  /**
   * Awaited after each completed epoch, before the next one starts: the studio saves a checkpoint
   * (`trainer.snapshot()`) and renders attention-mask frames (`trainer.model`) here.
   */
  onEpoch?: (report: EpochReport, trainer: Trainer) => void | Promise<void>;
  /**
   * Awaited after a batch inside an epoch once `checkpointIntervalSeconds` have passed since the run
   * (re)started or the last such call, so a long epoch is not lost to a crash: the studio saves a
   * mid-epoch checkpoint (`trainer.snapshot()` resumes at the next batch, exactly).
   */
  onCheckpointDue?: (trainer: Trainer) => Promise<void>;
  checkpointIntervalSeconds?: number;
}

export type TrainerState = 'idle' | 'running' | 'paused' | 'completed' | 'stopped' | 'failed';

export interface TrainingOutcome {
  /** 'stopped' when `stop()` ended the run early. */
  status: 'completed' | 'stopped';
  position: TrainingPosition;
}

/** Lets timers and messages (a worker's "pause") run between synchronous tfjs steps. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

export class Trainer {
  readonly model: tf.LayersModel;
  /** The run's configuration; `retarget` may change its epochs (and with them the schedule). */
  config: TrainingConfig;
  readonly batchesPerEpoch: number;
  totalSteps: number;
  private readonly options: TrainerOptions;
  private readonly params: TrainableParam[];
  private readonly optimizer: Optimizer;
  private schedule: LearningRateSchedule;
  private readonly throughput = new ThroughputMeter();
  private normalizationStats: ChannelStats | undefined;
  private currentPosition: TrainingPosition;
  private currentState: TrainerState = 'idle';
  private stopRequested = false;
  private pauseRequested = false;
  private wakeFromPause: (() => void) | null = null;

  constructor(options: TrainerOptions) {
    const { model, train, config } = options;
    this.options = options;
    this.model = model;
    this.config = config;
    const outputs = model.outputs[0].shape;
    if (outputs[outputs.length - 1] !== train.numClasses) {
      throw new Error(`The model outputs ${outputs[outputs.length - 1]} classes; the training set has ${train.numClasses}.`);
    }
    const inputs = model.inputs[0].shape.slice(1);
    if (inputs.join('x') !== train.imageShape.join('x')) {
      throw new Error(`The model takes ${inputs.join('x')} images; the training set has ${train.imageShape.join('x')}.`);
    }
    const { validation } = options;
    if (validation && (validation.imageShape.join('x') !== train.imageShape.join('x') || validation.numClasses !== train.numClasses)) {
      throw new Error("The validation set must have the training set's image shape and classes.");
    }
    if (!(config.batchSize >= 1 && config.epochs >= 1)) throw new Error('Batch size and epochs must be at least 1.');
    this.batchesPerEpoch = config.dropLastBatch ? Math.floor(train.size / config.batchSize) : Math.ceil(train.size / config.batchSize);
    if (this.batchesPerEpoch === 0) {
      throw new Error(`The training set has ${train.size} images, fewer than one batch of ${config.batchSize}.`);
    }
    this.totalSteps = this.batchesPerEpoch * config.epochs;
    this.schedule = createSchedule(config.schedule, { stepsPerEpoch: this.batchesPerEpoch, totalSteps: this.totalSteps });
    this.params = trainableParams(model);
    this.optimizer = createOptimizer(config.optimizer);
    this.normalizationStats = options.resume?.normalization ?? options.normalization;
    this.currentPosition = { epoch: 0, batch: 0, step: 0 };
    if (options.resume) {
      const before = options.resume.config ?? config;
      const sameBatches =
        before.batchSize === config.batchSize && before.seed === config.seed && Boolean(before.dropLastBatch) === Boolean(config.dropLastBatch);
      if (options.resume.position.batch > 0 && !sameBatches) {
        throw new Error(
          'This checkpoint was taken in the middle of an epoch: resume it with the same batch size, seed and ' +
            'dropLastBatch, or continue from a checkpoint taken at the end of an epoch.',
        );
      }
      this.optimizer.setState(this.params, options.resume.optimizer);
      this.currentPosition = { ...options.resume.position };
    }
  }

  /**
   * Changes the run's length to `epochs` from the next batch on, with the learning-rate schedule laid
   * over the new length (so a run fitted to a time budget still warms up and anneals within it). The
   * epoch in progress stays: `epochs` must exceed the epochs already completed, or equal them between
   * epochs (from `onEpoch`), which ends the run there, completed.
   */
  retarget(epochs: number): void {
    // At an epoch boundary the run may end with the epochs done (a time budget with no room for another).
    const atBoundary = this.currentPosition.batch === 0 && epochs === this.currentPosition.epoch && epochs >= 1;
    if (!(Number.isInteger(epochs) && (epochs > this.currentPosition.epoch || atBoundary))) {
      throw new Error(`A run at epoch ${this.currentPosition.epoch} cannot be retargeted to ${epochs} epochs.`);
    }
    this.config = { ...this.config, epochs };
    this.totalSteps = this.batchesPerEpoch * epochs;
    this.schedule = createSchedule(this.config.schedule, { stepsPerEpoch: this.batchesPerEpoch, totalSteps: this.totalSteps });
  }

  get state(): TrainerState {
    return this.currentState;
  }

  get position(): TrainingPosition {
    return { ...this.currentPosition };
  }

  /** Known once `run()` has started (computed from the training set unless given). */
  get normalization(): ChannelStats | undefined {
    return this.normalizationStats;
  }

  /** Takes effect at the next batch boundary; `run()` stays pending while paused. */
  pause(): void {
    if (this.currentState === 'running') this.pauseRequested = true;
  }

  resume(): void {
    this.pauseRequested = false;
    this.wakeFromPause?.();
  }

  /** Ends the run at the next batch boundary (also from a pause); `run()` then resolves with 'stopped'. */
  stop(): void {
    this.stopRequested = true;
    this.wakeFromPause?.();
  }

  /** A consistent picture of the run at any await point (between steps). Dispose `optimizer`'s tensors. */
  snapshot(): TrainerSnapshot {
    if (!this.normalizationStats) throw new Error('Nothing to snapshot before the run has started.');
    return {
      config: this.config,
      normalization: this.normalizationStats,
      position: this.position,
      optimizer: this.optimizer.getState(this.params),
    };
  }

  async run(): Promise<TrainingOutcome> {
    if (this.currentState !== 'idle') throw new Error(`This trainer has already run (${this.currentState}); create a new one.`);
    this.currentState = 'running';
    try {
      const { train } = this.options;
      this.normalizationStats ??= await computeChannelStats(train);
      checkChannelStats(this.normalizationStats, train.imageShape[2]);
      while (this.currentPosition.epoch < this.config.epochs) {
        if (this.stopRequested) return this.finish('stopped');
        const report = await this.trainEpoch();
        // A stop during the epoch's last batch still completes the epoch but skips its validation.
        if (!report || this.stopRequested) return this.finish('stopped');
        if (this.options.validation) report.validation = await this.validate(this.options.validation);
        await this.options.onEpoch?.(report, this);
        this.lastCheckpoint = performance.now();
        if (this.stopRequested) return this.finish('stopped');
      }
      return this.finish('completed');
    } catch (error) {
      this.currentState = 'failed';
      throw error;
    }
  }

  /** Frees the optimiser state (the model stays the caller's); after `run()` and any last `snapshot()`. */
  dispose(): void {
    this.optimizer.dispose();
  }

  private finish(status: TrainingOutcome['status']): TrainingOutcome {
    this.currentState = status;
    return { status, position: this.position };
  }

  /** The epoch's order depends only on (seed, epoch), so a resumed epoch replays the same order. */
  private epochOrder(epoch: number): Int32Array {
    const order = shuffledIndices(this.options.train.size, new Random(deriveSeed(this.config.seed, streams.shuffle, epoch)));
    return order.subarray(0, Math.min(order.length, this.batchesPerEpoch * this.config.batchSize));
  }

  /** Runs the rest of the current epoch; undefined when stopped before its last batch. */
  private async trainEpoch(): Promise<EpochReport | undefined> {
    const { train, onBatch } = this.options;
    const { batchSize, epochs, augmentation, seed } = this.config;
    const position = this.currentPosition;
    const epoch = position.epoch;
    const remaining = this.epochOrder(epoch).subarray(position.batch * batchSize);
    // A pause requested during the last validation or epoch hook holds before this epoch's first batch.
    await this.waitWhilePaused();
    if (this.stopRequested) return undefined;
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    let batches = 0;
    let learningRate = this.schedule(position.step);
    let trainSeconds = 0;
    let started = performance.now();
    for await (const batch of prefetchOne(train.batches(remaining, batchSize))) {
      const count = Math.min(batchSize, remaining.length - batches * batchSize);
      checkBatch(train, batch, count);
      learningRate = this.schedule(position.step);
      const random = new Random(deriveSeed(seed, streams.augment, epoch, position.batch));
      const images = imagesToTensor(batch.images, count, train.imageShape, this.normalizationStats!, augmentation, random);
      const labels = tf.tensor1d(batch.labels, 'int32');
      let result;
      try {
        const step = position.step;
        result = await disposeCreatedOnFailure(() => trainStep(this.model, this.params, this.optimizer, images, labels, learningRate, step));
      } catch (error) {
        images.dispose();
        labels.dispose();
        if (!isOutOfMemory(error)) throw error;
        const cause = error instanceof Error ? error.message : String(error);
        throw new BatchTooLargeError(count, await largestFittingBatch(this.model, count), deviceDescription(), cause);
      }
      images.dispose();
      labels.dispose();
      position.batch++;
      position.step++;
      batches++;
      lossSum += result.loss * count;
      correct += result.correct;
      seen += count;
      const seconds = (performance.now() - started) / 1000;
      trainSeconds += seconds;
      this.throughput.record(count, seconds);
      onBatch?.({
        epoch: epoch + 1,
        epochs,
        batch: position.batch,
        batchesPerEpoch: this.batchesPerEpoch,
        step: position.step,
        totalSteps: this.totalSteps,
        loss: result.loss,
        accuracy: result.correct / count,
        learningRate,
        imagesPerSecond: this.throughput.imagesPerSecond,
        etaSeconds: this.throughput.etaSeconds((this.totalSteps - position.step) * batchSize),
      });
      await yieldToEventLoop();
      await this.checkpointIfDue();
      await this.waitWhilePaused();
      if (this.stopRequested && position.batch < this.batchesPerEpoch) return undefined;
      started = performance.now();
    }
    if (position.batch !== this.batchesPerEpoch) {
      throw new Error(`The data source ended after ${position.batch} of ${this.batchesPerEpoch} batches.`);
    }
    position.epoch++;
    position.batch = 0;
    return {
      epoch: epoch + 1,
      epochs,
      step: position.step,
      trainLoss: seen ? lossSum / seen : 0,
      trainAccuracy: seen ? correct / seen : 0,
      learningRate,
      trainSeconds,
    };
  }

  private lastCheckpoint = performance.now();

  /** Mid-epoch only: the epoch's end has its own hook (`onEpoch`). */
  private async checkpointIfDue(): Promise<void> {
    const { onCheckpointDue, checkpointIntervalSeconds } = this.options;
    if (!onCheckpointDue || checkpointIntervalSeconds === undefined) return;
    if (this.currentPosition.batch >= this.batchesPerEpoch) return;
    if (performance.now() - this.lastCheckpoint < checkpointIntervalSeconds * 1000) return;
    await onCheckpointDue(this);
    this.lastCheckpoint = performance.now();
  }

  private async waitWhilePaused(): Promise<void> {
    while (this.pauseRequested && !this.stopRequested) {
      this.currentState = 'paused';
      await new Promise<void>((resolve) => (this.wakeFromPause = resolve));
      this.wakeFromPause = null;
    }
    this.currentState = 'running';
  }

  /** On the inference graph of the weights as they are now (batch norms folded): the same numbers, faster. */
  private async validate(source: DataSource): Promise<Evaluation> {
    const inference = await buildInferenceModel(this.model);
    try {
      return await evaluateSource(inference, source, {
        normalization: this.normalizationStats!,
        batchSize: this.options.validationBatchSize ?? 2 * this.config.batchSize,
      });
    } finally {
      inference.dispose();
    }
  }
}
