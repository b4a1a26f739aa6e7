/**
 * The runs service: training runs (through the RunManager and its worker), evaluation and masks
 * (through the inference worker), and the error analyses over stored predictions (here: they are
 * plain arithmetic over at most a split's rows).
 */
import { mostConfusedPairs } from '../../../ml/analysis/confusion.js';
import { findLabelIssues } from '../../../ml/analysis/confidentLearning.js';
import { accuracyOf, confusionMatrix, perClassMetrics } from '../../../ml/analysis/confusion.js';
import { regressionDiff } from '../../../ml/analysis/ranking.js';
import path from 'node:path';
import { maskModuleNames, parameterCount, variantCatalog } from '../../../ml/model/catalog.js';
import { isVariantName } from '../../../ml/model/index.js';
import { macsPerImage } from '../../../ml/model/macs.js';
import type { LabelIssueRow, ModelExportFormat, ModelInfo, PredictionRow, RunConfig, RunDetail, RunEvaluation, RunMasksEvent } from '../../common/contract/runs.js';
import { StudioError } from '../../common/errors.js';
import { openWorkspaceDb, type Db } from '../storage/db.js';
import {
  cellPredictions,
  hasPredictions,
  lastMeasuredSpeed,
  latestMaskFrames,
  runEpochs,
  runSplitCounts,
  snapshotLabels,
  splitPredictions,
  topLossPredictions,
  type Split,
} from '../storage/runs.js';
import { InferenceClient } from '../training/inferenceClient.js';
import { BackgroundRetrainer } from '../labelling/backgroundRetrain.js';
import { LabelIssueJobs } from '../labelling/labelIssueJobs.js';
import { RunManager } from '../training/runManager.js';
import type { ServiceContext } from './context.js';

export interface WorkspaceRuns {
  db: Db;
  manager: RunManager;
  inference: InferenceClient;
  labelIssues: LabelIssueJobs;
  retrainer: BackgroundRetrainer;
}

/** One run manager, inference worker and connection per workspace, made on first use. */
export class RunServices {
  private readonly byWorkspace = new Map<string, WorkspaceRuns>();

  constructor(private readonly ctx: ServiceContext) {}

  current(): WorkspaceRuns {
    const folder = this.ctx.workspace;
    if (!folder) throw new StudioError('conflict', 'No workspace is open: open or create a workspace folder first');
    let entry = this.byWorkspace.get(folder);
    if (!entry) {
      const db = openWorkspaceDb(folder);
      const options = { ...(this.ctx.forcedBackend ? { backend: this.ctx.forcedBackend } : {}), ...(this.ctx.threads ? { threads: this.ctx.threads } : {}) };
      const inference = new InferenceClient(folder, options);
      const manager = new RunManager(db, folder, this.ctx.events, { ...options, onCompleted: (runId) => void this.evaluateCompleted(created, runId) });
      const created: WorkspaceRuns = {
        db, manager, inference,
        labelIssues: new LabelIssueJobs(db, folder, this.ctx.events, options),
        retrainer: new BackgroundRetrainer(db, manager, this.ctx.events, () => this.ctx.workspace === folder && this.byWorkspace.get(folder) === created),
      };
      entry = created;
      this.byWorkspace.set(folder, entry);
    }
    return entry;
  }

  /**
   * A run that trained to its end is evaluated on its validation split straight away, so the Inspect
   * view opens on its confusion matrix and mistakes without asking. Progress goes out as the same job
   * a requested evaluation reports; the end as run.evaluated.
   */
  async evaluateCompleted(entry: WorkspaceRuns, runId: number): Promise<void> {
    const split = 'val';
    if (runSplitCounts(entry.db, runId).val === 0) return;
    try {
      const evaluation = await entry.inference.evaluate(runId, split, (done, total) =>
        this.ctx.events.emit('job.progress', { jobId: `run-${runId}-evaluate`, kind: 'evaluate', done, total, message: `Decoding ${split} images` }),
      );
      this.ctx.events.emit('run.evaluated', { runId, split, accuracy: evaluation.accuracy, error: null });
    } catch (error) {
      this.ctx.events.emit('run.evaluated', { runId, split, accuracy: null, error: error instanceof Error ? error.message : String(error) });
    }
  }

  /** Stops every workspace's workers at once (each may take its grace period), then closes the databases. */
  async close(): Promise<void> {
    const entries = [...this.byWorkspace.values()];
    this.byWorkspace.clear();
    await Promise.all(
      entries.map(async (entry) => {
        entry.retrainer.close();
        await Promise.all([entry.manager.close(), entry.labelIssues.close(), entry.inference.close()]);
        entry.db.close();
      }),
    );
  }
}

function toRow(p: { imageId: number; fileName: string; label: number; predicted: number; confidence: number; loss: number }): PredictionRow {
  return { imageId: p.imageId, fileName: p.fileName, label: p.label, predicted: p.predicted, confidence: p.confidence, loss: p.loss };
}

export function runHandlers(ctx: ServiceContext, services = new RunServices(ctx)) {
  const requirePredictions = (db: Db, runId: number, split: Split) => {
    if (!hasPredictions(db, runId, split)) {
      throw new StudioError('conflict', `Run ${runId} has no predictions on its ${split} split yet: evaluate it first`, { field: 'split' });
    }
  };

  return {
    listModels: ({ numClasses, channels, imageSize }: { numClasses: number; channels: 1 | 3; imageSize: number }): ModelInfo[] => {
      const { db } = services.current();
      return variantCatalog().map((entry) => {
        const speed = lastMeasuredSpeed(db, entry.name);
        return {
          name: entry.name,
          doc: entry.doc,
          nominalInputShape: entry.nominalInputShape,
          params: parameterCount(entry, numClasses, channels),
          macs: macsPerImage(entry.name, imageSize, channels, numClasses),
          measured: speed
            ? { runId: speed.runId, imagesPerSecond: speed.imagesPerSecond, imageSize: speed.config.imageSize, batchSize: speed.config.batchSize, backend: speed.backend }
            : null,
        };
      });
    },
    createRun: (args: { name?: string | undefined; config: RunConfig }) => services.current().manager.create(args.config, args.name),
    listRuns: () => services.current().manager.list(),
    getRun: ({ runId }: { runId: number }): RunDetail => {
      const { manager, db } = services.current();
      return { ...manager.summary(manager.get(runId)), epochs: runEpochs(db, runId) };
    },
    pauseRun: ({ runId }: { runId: number }) => services.current().manager.pause(runId),
    resumeRun: ({ runId }: { runId: number }) => services.current().manager.resume(runId),
    stopRun: ({ runId }: { runId: number }) => services.current().manager.stop(runId),
    evaluateRun: ({ runId, split }: { runId: number; split: Split }) => {
      const { manager, inference } = services.current();
      manager.get(runId);
      return inference.evaluate(runId, split, (done, total) =>
        ctx.events.emit('job.progress', { jobId: `run-${runId}-evaluate`, kind: 'evaluate', done, total, message: `Decoding ${split} images` }),
      );
    },
    storedEvaluation: ({ runId, split }: { runId: number; split: Split }): RunEvaluation | null => {
      const { db, manager } = services.current();
      const run = manager.get(runId);
      if (!hasPredictions(db, runId, split)) return null;
      const rows = splitPredictions(db, runId, split);
      const matrix = confusionMatrix(rows.map((r) => r.label), rows.map((r) => r.predicted), run.classNames.length);
      return {
        runId,
        split,
        images: rows.length,
        accuracy: accuracyOf(matrix),
        loss: rows.reduce((sum, r) => sum + r.loss, 0) / rows.length,
        classNames: run.classNames,
        perClass: perClassMetrics(matrix).map((m, c) => ({ name: run.classNames[c]!, ...m })),
        confusionMatrix: matrix,
      };
    },
    cellImages: (args: { runId: number; split: Split; actual: number; predicted: number; limit: number }) => {
      const { db } = services.current();
      requirePredictions(db, args.runId, args.split);
      return cellPredictions(db, args.runId, args.split, args.actual, args.predicted, args.limit).map(toRow);
    },
    topLosses: (args: { runId: number; split: Split; limit: number }) => {
      const { db } = services.current();
      requirePredictions(db, args.runId, args.split);
      return topLossPredictions(db, args.runId, args.split, args.limit).map(toRow);
    },
    confusedPairs: (args: { runId: number; split: Split; limit: number }) => {
      const { db, manager } = services.current();
      requirePredictions(db, args.runId, args.split);
      const rows = splitPredictions(db, args.runId, args.split);
      const k = manager.get(args.runId).classNames.length;
      const matrix = confusionMatrix(rows.map((r) => r.label), rows.map((r) => r.predicted), k);
      return mostConfusedPairs(matrix, args.limit);
    },
    labelIssues: (args: { runId: number; split: Split; limit: number }): LabelIssueRow[] => {
      const { db, manager } = services.current();
      requirePredictions(db, args.runId, args.split);
      const rows = splitPredictions(db, args.runId, args.split);
      const k = manager.get(args.runId).classNames.length;
      const probabilities = new Float32Array(rows.length * k);
      rows.forEach((r, i) => probabilities.set(r.probabilities, i * k));
      return findLabelIssues(probabilities, rows.map((r) => r.label), k)
        .slice(0, args.limit)
        .map((issue) => ({
          ...toRow(rows[issue.index]!),
          suggested: issue.suggested,
          givenProbability: issue.givenProbability,
          suggestedProbability: issue.suggestedProbability,
          margin: issue.margin,
        }));
    },
    regressionDiff: (args: { runA: number; runB: number; split: Split }) => {
      const { db } = services.current();
      requirePredictions(db, args.runA, args.split);
      requirePredictions(db, args.runB, args.split);
      const a = splitPredictions(db, args.runA, args.split);
      const b = splitPredictions(db, args.runB, args.split);
      const names = new Map(a.map((p) => [p.imageId, p.fileName]));
      const score = (p: (typeof a)[number]) => ({ id: p.imageId, label: p.label, predicted: p.predicted, confidence: p.confidence, loss: p.loss });
      return regressionDiff(a.map(score), b.map(score)).map((d) => ({
        imageId: d.id,
        fileName: names.get(d.id) ?? '',
        label: d.label,
        predictedA: d.predictedA,
        predictedB: d.predictedB,
        change: d.change,
      }));
    },
    latestMasks: ({ runId }: { runId: number }): RunMasksEvent | null => {
      const { db, manager } = services.current();
      const run = manager.get(runId);
      const latest = latestMaskFrames(db, runId);
      if (!latest) return null;
      const names = isVariantName(run.config.model) ? maskModuleNames(run.config.model) : [];
      const imageIds = [...new Set(latest.masks.map((m) => m.imageId))];
      const labels = snapshotLabels(db, runId, imageIds);
      return {
        runId,
        epoch: latest.epoch,
        frames: imageIds.map((imageId) => ({
          imageId,
          label: labels.get(imageId) ?? -1,
          masks: latest.masks
            .filter((m) => m.imageId === imageId)
            .map((m) => ({ module: names[m.module] ?? `module${m.module + 1}`, width: m.width, height: m.height, data: Buffer.from(m.data).toString('base64') })),
        })),
      };
    },
    exportModel: ({ runId, folder, format }: { runId: number; folder?: string | undefined; format: ModelExportFormat }) => {
      const { manager, inference } = services.current();
      manager.get(runId);
      if (folder !== undefined && !path.isAbsolute(folder)) {
        throw new StudioError('invalid_argument', `The export folder must be an absolute path, not ${folder}`, { field: 'folder' });
      }
      const destination = folder ?? path.join(ctx.workspace!, 'exports', `run-${runId}`);
      return inference.exportModel(runId, destination, format, (done, total) =>
        ctx.events.emit('job.progress', { jobId: `run-${runId}-export`, kind: 'export', done, total, message: `Exporting run ${runId}` }),
      );
    },
    imageMasks: ({ runId, imageId }: { runId: number; imageId: number }) => services.current().inference.masks(runId, imageId),
  };
}
