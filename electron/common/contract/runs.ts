/**
 * Training runs: create (with a snapshot of labels and splits), control, live events, evaluation and
 * the analyses that find mistakes. Class indices refer to the run's own `classNames` snapshot.
 */
import { z } from 'zod';
import { method } from './define.js';
import { resizePolicies } from '../resizePolicy.js';

const splitSchema = z.enum(['train', 'val', 'test']);
const runId = z.number().int().positive();

export const runConfigSchema = z.strictObject({
  /** A variant of the model registry (`attention-studio info` lists them), e.g. lite-16, lite-32. */
  model: z.string().min(1).max(64),
  /** Images are resized to imageSize x imageSize. */
  imageSize: z.number().int().min(8).max(512).default(32),
  /**
   * How a photo of any shape becomes the imageSize square (electron/common/resizePolicy.ts): used alike
   * by training, evaluation, masks, predictions and exports. Absent: 'squash', as every run before the choice.
   */
  resizePolicy: z.enum(resizePolicies).optional(),
  /** 1 = grey, 3 = colour; default: 1 when every snapshot image is grey, else 3. */
  channels: z.union([z.literal(1), z.literal(3)]).optional(),
  epochs: z.number().int().min(1).max(1000).default(10),
  batchSize: z.number().int().min(2).max(1024).default(64),
  optimizer: z.enum(['sgd', 'adam']).default('sgd'),
  /** Peak learning rate (after warm-up). */
  learningRate: z.number().positive().max(10).default(0.1),
  /** L2 decay of conv and dense weights; default per model (1e-4 paper-size, 5e-4 lite: electron/common/recipe.ts). */
  weightDecay: z.number().min(0).max(0.1).optional(),
  schedule: z.enum(['cosine', 'step', 'constant']).default('cosine'),
  /** Share of the run spent warming up linearly (cosine schedule). */
  warmupFraction: z.number().min(0).max(0.5).default(0.1),
  augmentation: z
    .strictObject({
      /**
       * 'auto' (the default for new runs): chosen when the run is created, by the size of its photos
       * (electron/common/recipe.ts defaultAugmentation): 'cifar' for small images of about 32 px, 'photo' for
       * larger ones. 'cifar' is pad-and-crop (padding) and flip; 'photo' is random-resized-crop,
       * colour jitter and flip. Runs stored before the choice have none: their fields say what they used.
       */
      preset: z.enum(['auto', 'cifar', 'photo']).optional(),
      /** Black pixels added on every side before a random crop back to the input size (the CIFAR recipe); 0: none. */
      padding: z.number().int().min(0).max(32).default(4),
      horizontalFlip: z.boolean().default(true),
      /** A crop of random area share and aspect ratio, resized to the input (ml/train/photoAugment.ts); needs padding 0. */
      randomResizedCrop: z
        .strictObject({
          scale: z.tuple([z.number().gt(0).max(1), z.number().gt(0).max(1)]).refine(([low, high]) => low <= high, 'scale: the first bound must not exceed the second'),
          ratio: z.tuple([z.number().positive().max(10), z.number().positive().max(10)]).refine(([low, high]) => low <= high, 'ratio: the first bound must not exceed the second'),
        })
        .optional(),
      /** Brightness, contrast and saturation factors drawn from [1 - x, 1 + x] per image. */
      colourJitter: z
        .strictObject({ brightness: z.number().min(0).max(1), contrast: z.number().min(0).max(1), saturation: z.number().min(0).max(1) })
        .optional(),
    })
    .refine((a) => !(a.randomResizedCrop && a.padding > 0), {
      message: 'random-resized-crop replaces pad-and-crop: set padding to 0 with it',
      path: ['padding'],
    })
    .default({ preset: 'auto', padding: 4, horizontalFlip: true }),
  fusion: z.enum(['arl', 'nal']).default('arl'),
  maskActivation: z.enum(['mixed', 'channel', 'spatial']).default('mixed'),
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(1),
  /**
   * Initial weights: PyTorch's defaults (the default: chosen by bench:parity across seeds on CIFAR-10
   * and the cat and dog photos, see the README), the paper's MSRA, or MSRA with each residual
   * branch's last BN scale at 0.
   */
  init: z.enum(['msra', 'pytorch', 'zero-gamma']).default('pytorch'),
  /** 'auto': the fastest backend measured on this machine for this model (software GPUs never); or one by name. */
  backend: z.enum(['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu']).default('auto'),
  /** Stop after this many minutes of training, at a batch boundary. */
  maxMinutes: z.number().positive().max(10_000).optional(),
});
export type RunConfig = z.output<typeof runConfigSchema>;
export type RunConfigInput = z.input<typeof runConfigSchema>;

export type RunStatus = 'queued' | 'running' | 'paused' | 'completed' | 'stopped' | 'failed' | 'interrupted';

export interface RunSummary {
  id: number;
  name: string;
  status: RunStatus;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  config: RunConfig;
  classNames: string[];
  backend: string | null;
  epochsDone: number;
  /** Snapshot sizes per split. */
  images: { train: number; val: number; test: number };
  /** Validation accuracy of the last completed epoch. */
  valAccuracy: number | null;
  error: string | null;
  /**
   * Why a queued run has not started training yet ("waiting for run 3 to finish", "decoding images at
   * 32 px (40 %)", "measuring backends: ..."); null for a run that is not queued.
   */
  waiting: string | null;
}

export interface EpochMetrics {
  epoch: number;
  step: number;
  learningRate: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss: number | null;
  valAccuracy: number | null;
  trainSeconds: number;
  imagesPerSecond: number;
  /** Validation confusion matrix, rows = given label. */
  confusion: number[][] | null;
}

export interface RunDetail extends RunSummary {
  epochs: EpochMetrics[];
}

export interface ClassReport {
  name: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface RunEvaluation {
  runId: number;
  split: 'train' | 'val' | 'test';
  images: number;
  accuracy: number;
  loss: number;
  classNames: string[];
  perClass: ClassReport[];
  confusionMatrix: number[][];
}

export interface PredictionRow {
  imageId: number;
  fileName: string;
  label: number;
  predicted: number;
  confidence: number;
  loss: number;
}

export interface LabelIssueRow extends PredictionRow {
  suggested: number;
  givenProbability: number;
  suggestedProbability: number;
  margin: number;
}

export interface ConfusedPairRow {
  actual: number;
  predicted: number;
  count: number;
  rate: number;
}

export interface RegressionRow {
  imageId: number;
  fileName: string;
  label: number;
  predictedA: number;
  predictedB: number;
  change: 'fixed' | 'broken';
}

export interface ModuleMask {
  /** The attention module's layer name, e.g. stage1_attn1_mask. */
  module: string;
  width: number;
  height: number;
  /** width x height bytes, 0..255 = mask 0..1 (mean over channels), base64. */
  data: string;
}

export interface ImageMasks {
  runId: number;
  imageId: number;
  predicted: number;
  probabilities: number[];
  masks: ModuleMask[];
}

/** What `exportModel` writes: 'both' is TensorFlow.js and ONNX. */
export const modelExportFormats = ['tfjs', 'onnx', 'both'] as const;
export type ModelExportFormat = (typeof modelExportFormats)[number];

/** How one exported format, loaded by its stock runtime, compared with the studio's stored predictions. */
export interface ModelExportCheck {
  format: 'tfjs' | 'onnx';
  /** The runtime that loaded the files, e.g. "onnxruntime-node 1.30.0 (CPU)". */
  runtime: string;
  images: number;
  /** Images whose top-1 class matched the stored prediction (all of them, or the export fails). */
  samePredictions: number;
  maxProbabilityDifference: number;
}

export interface ModelExportReport {
  runId: number;
  /** The absolute folder the export was written to. */
  folder: string;
  files: string[];
  /** The split whose stored predictions the export reproduced (validation, unless the run has none). */
  split: 'train' | 'val' | 'test';
  checks: ModelExportCheck[];
}

export interface MeasuredSpeed {
  runId: number;
  /** Training images per second of that run's last epoch. */
  imagesPerSecond: number;
  imageSize: number;
  batchSize: number;
  backend: string | null;
}

/** How fast a run of one model, size and batch would train here, before any run of it. */
export interface SpeedEstimate {
  backend: string;
  trainImagesPerSecond: number;
  inferImagesPerSecond: number;
  /** Measured now (a few steps, seconds) or taken from this machine's cache of measurements. */
  source: 'measured' | 'cached';
}

export interface ModelInfo {
  name: string;
  doc: string;
  nominalInputShape: [number, number, number];
  /** Trainable parameters for the requested class count and channels. */
  params: number;
  /** Multiply-accumulates per image at the requested input size. */
  macs: number;
  /** The speed the engine measured for this variant in this workspace's latest run of it, if any. */
  measured: MeasuredSpeed | null;
}

const page = { limit: z.number().int().min(1).max(5000).default(100) };

export const runMethods = {
  estimateSpeed: method<SpeedEstimate>()(
    z.strictObject({
      model: z.string().min(1).max(64),
      imageSize: z.number().int().min(8).max(512),
      batchSize: z.number().int().min(1).max(1024),
      channels: z.union([z.literal(1), z.literal(3)]).default(3),
      numClasses: z.number().int().min(2).max(100_000).default(10),
    }),
    'Training and inference speed of a model, size and batch on the backend a run would use: cached, or measured in a few steps.',
  ),
  createRun: method<RunSummary>()(
    z.strictObject({ name: z.string().trim().max(200).optional(), config: runConfigSchema }),
    'Creates a run from a snapshot of the current labels and splits, and queues it for training.',
  ),
  listModels: method<ModelInfo[]>()(
    z.strictObject({
      numClasses: z.number().int().min(2).max(100_000).default(10),
      channels: z.union([z.literal(1), z.literal(3)]).default(3),
      imageSize: z.number().int().min(8).max(512).default(32),
    }),
    'The model variants with their parameter counts and the last measured training speed of each.',
  ),
  listRuns: method<RunSummary[]>()(z.strictObject({}), 'Every run of the workspace, newest first.'),
  getRun: method<RunDetail>()(z.strictObject({ runId }), 'One run with its per-epoch metrics.'),
  pauseRun: method<RunSummary>()(z.strictObject({ runId }), 'Pauses a running run at the next batch.'),
  resumeRun: method<RunSummary>()(
    z.strictObject({ runId }),
    'Resumes a paused run, or restarts an interrupted/stopped one from its last checkpoint.',
  ),
  stopRun: method<RunSummary>()(z.strictObject({ runId }), 'Stops a run at the next batch, keeping its last checkpoint.'),
  evaluateRun: method<RunEvaluation>()(
    z.strictObject({ runId, split: splitSchema.default('val') }),
    "Evaluates the run's checkpoint on a split of its snapshot and stores one prediction per image.",
  ),
  storedEvaluation: method<RunEvaluation | null>()(
    z.strictObject({ runId, split: splitSchema.default('val') }),
    "The metrics of the run's stored predictions on a split (its last evaluation), or null when it was never evaluated there.",
  ),
  cellImages: method<PredictionRow[]>()(
    z.strictObject({ runId, split: splitSchema.default('val'), actual: z.number().int().min(0), predicted: z.number().int().min(0), ...page }),
    'The images behind one confusion-matrix cell, most confident first.',
  ),
  topLosses: method<PredictionRow[]>()(z.strictObject({ runId, split: splitSchema.default('val'), ...page }), 'The highest-loss images.'),
  confusedPairs: method<ConfusedPairRow[]>()(
    z.strictObject({ runId, split: splitSchema.default('val'), limit: z.number().int().min(1).max(100).default(10) }),
    'The most confused class pairs.',
  ),
  labelIssues: method<LabelIssueRow[]>()(
    z.strictObject({ runId, split: splitSchema.default('val'), ...page }),
    'Likely mislabelled images (confident learning on out-of-sample predictions), with suggested labels.',
  ),
  regressionDiff: method<RegressionRow[]>()(
    z.strictObject({ runA: runId, runB: runId, split: splitSchema.default('val') }),
    'Images right in one run and wrong in the other.',
  ),
  latestMasks: method<RunMasksEvent | null>()(
    z.strictObject({ runId }),
    "The latest attention-mask frames of the run's validation panel (what run.masks sent last), or null before the first epoch.",
  ),
  exportModel: method<ModelExportReport>()(
    z.strictObject({
      runId,
      /** Absolute path of a new or empty folder, or of an earlier export (replaced); default `<workspace>/exports/run-<id>`. */
      folder: z.string().trim().min(1).max(4096).optional(),
      format: z.enum(modelExportFormats).default('both'),
    }),
    "Exports the run's model (TensorFlow.js and/or ONNX, labels, preprocessing, a README); each format is loaded by its stock runtime and must reproduce the run's validation predictions before the folder is written.",
  ),
  imageMasks: method<ImageMasks>()(
    z.strictObject({ runId, imageId: z.number().int().positive() }),
    "Each attention module's mask for one image, up-sampled to the image size, with the prediction.",
  ),
};

export interface RunBatchEvent {
  runId: number;
  epoch: number;
  epochs: number;
  batch: number;
  batchesPerEpoch: number;
  step: number;
  totalSteps: number;
  loss: number;
  accuracy: number;
  learningRate: number;
  imagesPerSecond: number;
  etaSeconds: number;
}

export interface RunEpochEvent extends EpochMetrics {
  runId: number;
  epochs: number;
}

export interface MaskFrame {
  imageId: number;
  label: number;
  masks: ModuleMask[];
}

export interface RunMasksEvent {
  runId: number;
  epoch: number;
  frames: MaskFrame[];
}

export interface RunStatusEvent {
  runId: number;
  status: RunStatus;
  error: string | null;
  /** When training starts: the backend and why it was chosen (measured speeds, or what was forced). */
  backend?: string;
  detail?: string;
  /** A queued run's reason for waiting (RunSummary.waiting), each time it changes. */
  waiting?: string;
}

/** A finished run was evaluated on its validation split by the studio itself (or the attempt failed). */
export interface RunEvaluatedEvent {
  runId: number;
  split: 'train' | 'val' | 'test';
  /** null when the evaluation failed (error says why). */
  accuracy: number | null;
  error: string | null;
}
