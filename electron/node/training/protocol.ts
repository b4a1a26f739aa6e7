/** Messages between the studio and its ML worker threads. Plain structured-clone data only. */
import type { SpeedMeasurement, SpeedProbe } from '../../../ml/engine/measure.js';
import type { EpochMetrics, ImageMasks, MaskFrame, ModelExportFormat, ModelExportReport, RunBatchEvent, RunEvaluation, RunStatus } from '../../common/contract/runs.js';
import type { TryMasks, TryResult } from '../../common/contract/tryModel.js';

export interface TrainWorkerData {
  kind: 'train';
  workspace: string;
  runId: number;
  /** The owner holding the run (ownership.ts): the worker writes the run's status only while it holds it. */
  ownerId: string;
  backend?: string;
  threads?: number;
  /** Seconds between mid-epoch checkpoints (default 120). */
  checkpointIntervalSeconds?: number;
  /** A cap on the wasm backend's memory below its 4 GiB. */
  wasmMemoryLimitBytes?: number;
}

export interface InferenceWorkerData {
  kind: 'inference';
  workspace: string;
  backend?: string;
  threads?: number;
}

/** Times a few training and inference steps of one model on one backend, then exits. */
export interface MeasureWorkerData {
  kind: 'measure';
  backend: string;
  probe: SpeedProbe;
  threads?: number;
}

export type MeasureMessage = { type: 'measured'; result: SpeedMeasurement; detail: string } | { type: 'failed'; error: string };

/** Runs one "Find label issues" job (its remaining folds) and exits. */
export interface LabelIssuesWorkerData {
  kind: 'labelIssues';
  workspace: string;
  jobId: number;
  backend?: string;
  threads?: number;
}

/** Label-issues worker → studio. */
export type LabelIssuesMessage =
  | { type: 'progress'; fold: number; folds: number; done: number; total: number; etaSeconds: number | null; message: string }
  | { type: 'finished'; status: 'completed' | 'stopped' }
  | { type: 'failed'; error: string };

export type WorkerData = TrainWorkerData | InferenceWorkerData | MeasureWorkerData | LabelIssuesWorkerData;

/** Studio → training worker. */
export type TrainControl = { type: 'pause' } | { type: 'resume' } | { type: 'stop' };

/** Training worker → studio. */
export type TrainMessage =
  | { type: 'status'; status: RunStatus; backend?: string; detail?: string }
  | { type: 'measuring'; backend: string; done: number; total: number }
  | { type: 'cache'; done: number; total: number }
  | ({ type: 'batch' } & Omit<RunBatchEvent, 'runId'>)
  | { type: 'epoch'; epochs: number; metrics: EpochMetrics }
  | { type: 'masks'; epoch: number; frames: MaskFrame[] }
  | { type: 'finished'; status: 'completed' | 'stopped'; epochsDone: number; trainImagesPerSecond: number }
  | { type: 'failed'; error: string };

export type InferenceRequest =
  | { id: number; task: 'evaluate'; runId: number; split: 'train' | 'val' | 'test' }
  | { id: number; task: 'masks'; runId: number; imageId: number }
  | { id: number; task: 'predictFiles'; runId: number; files: string[] }
  | { id: number; task: 'export'; runId: number; folder: string; format: ModelExportFormat }
  | { id: number; task: 'tryImages'; runId: number; images: TryInput[] }
  | { id: number; task: 'tryMasks'; runId: number; image: TryInput; maxSide: number }
  | { id: number; task: 'suggest'; runId: number };

/** An image to try: a file on this machine, or the bytes of an upload. */
export type TryInput = { name: string; path: string } | { name: string; bytes: Uint8Array };

/** A tried image as the worker answers it: the contract's result with its content hash, before the dataset is looked up. */
export type TriedImage =
  | (Omit<Extract<TryResult, { ok: true }>, 'inDataset'> & { contentHash: string })
  | Extract<TryResult, { ok: false }>;

export type TriedMasks = Omit<TryMasks, 'runId'>;

export interface FilePrediction {
  file: string;
  predicted: string | null;
  confidence: number | null;
  probabilities: Record<string, number> | null;
  error: string | null;
}

export type InferenceResult = RunEvaluation | ImageMasks | FilePrediction[] | ModelExportReport | TriedImage[] | TriedMasks | { runId: number; images: number };

export type InferenceMessage =
  | { id: number; ok: true; result: InferenceResult }
  | { id: number; ok: false; error: { code: string; message: string; field?: string } }
  | { id: number; progress: { done: number; total: number } };
