/**
 * Labelling with the model: suggestions for unlabelled images (from a run's model), the "Label next"
 * order (most useful image first), and the "Find label issues" job (K-fold out-of-sample predictions
 * ranked by confident learning). Confirmations are ordinary label edits: undo and history apply.
 */
import { z } from 'zod';
import { method } from './define.js';

const runId = z.number().int().positive();
const jobId = z.number().int().positive();

export const uncertaintyMeasureNames = ['margin', 'entropy'] as const;

export interface LabelSuggestion {
  imageId: number;
  /** Index into the run's classNames. */
  predicted: number;
  className: string;
  confidence: number;
  /** The order's uncertainty measure, in [0, 1]; higher: the model knows less. */
  uncertainty: number;
}

export interface LabelSuggestions {
  /** The run that made them; null when no run has predicted the unlabelled images yet. */
  runId: number | null;
  classNames: string[];
  suggestions: LabelSuggestion[];
}

export interface LabelIssueJobConfig {
  model: string;
  imageSize: number;
  folds: number;
  epochsPerFold: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  /** The whole job's time budget, if one was given. */
  maxMinutes: number | null;
  /** Why this K and these epochs (the time budget's plan). */
  plan: string;
}

export type LabelIssueJobStatus = 'queued' | 'running' | 'stopped' | 'completed' | 'failed' | 'interrupted';

export interface LabelIssueJob {
  id: number;
  status: LabelIssueJobStatus;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  config: LabelIssueJobConfig;
  classNames: string[];
  images: number;
  foldsDone: number;
  /** Seconds left at the last progress report. */
  etaSeconds: number | null;
  detail: string | null;
  /** Out-of-sample accuracy: how far the ranking deserves trust. */
  accuracy: number | null;
  error: string | null;
}

export interface WholeDatasetIssue {
  rank: number;
  imageId: number;
  fileName: string;
  path: string;
  given: string;
  suggested: string;
  /** 1 − self-confidence of the given label, out of sample: higher is more likely wrong. */
  score: number;
  suggestedProbability: number;
  /** false once the image's label is no longer the one the job saw (accepted, or relabelled since). */
  open: boolean;
}

export interface LabelIssueReport {
  job: LabelIssueJob;
  issues: WholeDatasetIssue[];
  /** Set when the out-of-sample accuracy is below LOW_ACCURACY: the queue's top may well be correct labels. */
  warning: string | null;
}

/** Below this out-of-sample accuracy the issue queue warns that the model is too weak to trust. */
export const LOW_ACCURACY = 0.7;

/** Retraining in the background as labels arrive, so suggestions and the "Label next" order keep up. */
export interface BackgroundRetrainStatus {
  enabled: boolean;
  /** A run starts once this many images have been labelled since the latest run's snapshot. */
  everyLabels: number;
  /** Labelled images beyond the latest run's snapshot (new labels; relabels do not count). */
  newLabels: number;
  /** The background run queued or training now, if any. */
  runId: number | null;
  /** What it is doing or waiting for, in one line. */
  message: string;
}

export const backgroundRetrainArgs = z.strictObject({
  enabled: z.boolean(),
  everyLabels: z.number().int().min(1).max(1_000_000).default(25),
});

export type BackgroundRetrainArgs = z.output<typeof backgroundRetrainArgs>;

export const labelIssueJobArgs = z.strictObject({
  /** K: models trained, each predicting the 1/K of images it never saw. Default: chosen by the time budget (2-5). */
  folds: z.number().int().min(2).max(20).optional(),
  /** A model variant; default lite-16 (small and fast). */
  model: z.string().min(1).max(64).default('lite-16'),
  /** Default: the images' own size, at most 32. */
  imageSize: z.number().int().min(8).max(128).optional(),
  /** Most epochs per fold; the budget may allow fewer. */
  epochs: z.number().int().min(1).max(200).default(12),
  maxMinutes: z.number().positive().max(10_000).optional(),
  batchSize: z.number().int().min(2).max(512).default(32),
  learningRate: z.number().positive().max(10).default(0.05),
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(1),
});
export type LabelIssueJobArgs = z.output<typeof labelIssueJobArgs>;
export type LabelIssueJobInput = z.input<typeof labelIssueJobArgs>;

export const labellingMethods = {
  suggestLabels: method<{ runId: number; images: number }>()(
    z.strictObject({ runId }),
    "Predicts every unlabelled image with the run's model and stores the predictions as suggestions.",
  ),
  labelSuggestions: method<LabelSuggestions>()(
    z.strictObject({ runId: runId.optional(), imageIds: z.array(z.number().int().positive()).max(5000).optional() }),
    'The stored suggestions for still-unlabelled images (of the latest suggesting run by default).',
  ),
  confirmSuggestions: method<{ changed: number }>()(
    z.strictObject({
      runId,
      /** These images' suggestions; without it, every open suggestion at or above minConfidence. */
      imageIds: z.array(z.number().int().positive()).min(1).max(1_000_000).optional(),
      minConfidence: z.number().min(0).max(1).default(0),
    }),
    'Labels images with their suggested classes in one undoable edit.',
  ),
  labelNext: method<LabelSuggestions>()(
    z.strictObject({
      runId: runId.optional(),
      measure: z.enum(uncertaintyMeasureNames).default('margin'),
      screenSize: z.number().int().min(1).max(500).default(24),
      limit: z.number().int().min(1).max(100_000).default(200),
    }),
    'Unlabelled images in the order to label them: most uncertain first, a screen at a time without near-copies of one predicted class.',
  ),
  backgroundRetrain: method<BackgroundRetrainStatus>()(z.strictObject({}), 'Whether runs retrain in the background as labels arrive, and how many new labels there are.'),
  setBackgroundRetrain: method<BackgroundRetrainStatus>()(
    backgroundRetrainArgs,
    "Turns background retraining on or off: every `everyLabels` new labels, a run with the latest completed run's recipe trains and then suggests labels.",
  ),
  startLabelIssues: method<LabelIssueJob>()(labelIssueJobArgs, 'Starts a "Find label issues" job over every labelled image (K-fold out-of-sample predictions, confident learning).'),
  listLabelIssueJobs: method<LabelIssueJob[]>()(z.strictObject({}), 'Every label-issue job, newest first.'),
  stopLabelIssues: method<LabelIssueJob>()(z.strictObject({ jobId }), 'Stops the job after the current batch; finished folds are kept.'),
  resumeLabelIssues: method<LabelIssueJob>()(z.strictObject({ jobId }), 'Continues a stopped or interrupted job at its next unfinished fold.'),
  labelIssueReport: method<LabelIssueReport | null>()(
    z.strictObject({ jobId: jobId.optional(), limit: z.number().int().min(1).max(100_000).default(200) }),
    'The ranked issues of a job (the latest completed one by default), with its out-of-sample accuracy; null when there is none.',
  ),
};
