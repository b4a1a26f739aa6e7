/**
 * The labelling-with-the-model service: suggestions for unlabelled images, the "Label next" order, and
 * the "Find label issues" jobs and their reports. Confirmed suggestions are label edits (undoable).
 */
import { labelNextOrder, uncertaintyScores, type UncertaintyMeasure } from '../../../ml/analysis/activeLearning.js';
import {
  LOW_ACCURACY, type BackgroundRetrainArgs, type LabelIssueJobArgs, type LabelIssueReport, type LabelSuggestions,
} from '../../common/contract/labelling.js';
import { StudioError } from '../../common/errors.js';
import { liveClassByName } from '../storage/classes.js';
import type { Db } from '../storage/db.js';
import { listLabelIssueJobs, storedLabelIssues } from '../storage/labelIssues.js';
import { assignLabels } from '../storage/labels.js';
import { getRunRow } from '../storage/runs.js';
import { latestSuggestionRun, openSuggestions, unlabelledImageIds, type SuggestionRow } from '../storage/suggestions.js';
import type { ServiceContext } from './context.js';
import type { RunServices } from './runs.js';

function requireRun(db: Db, runId: number) {
  const run = getRunRow(db, runId);
  if (!run) throw new StudioError('not_found', `runId: run ${runId} does not exist in this workspace`, { field: 'runId' });
  return run;
}

function suggestionsOf(db: Db, runId: number | undefined, measure: UncertaintyMeasure, imageIds?: number[]): { runId: number | null; classNames: string[]; rows: SuggestionRow[]; uncertainty: Float64Array } {
  const chosen = runId ?? latestSuggestionRun(db);
  if (chosen === null) return { runId: null, classNames: [], rows: [], uncertainty: new Float64Array(0) };
  const run = requireRun(db, chosen);
  const rows = openSuggestions(db, chosen, imageIds);
  const k = run.classNames.length;
  const probabilities = new Float32Array(rows.length * k);
  rows.forEach((r, i) => probabilities.set(r.probabilities, i * k));
  return { runId: chosen, classNames: run.classNames, rows, uncertainty: uncertaintyScores(probabilities, k, measure) };
}

export function labellingHandlers(ctx: ServiceContext, services: RunServices) {
  const changed = () => ctx.events.emit('dataset.changed', { reason: 'labels' });
  // A run that completes predicts the unlabelled images at once, so the grid has suggestions to show.
  ctx.events.subscribe((event, payload) => {
    if (event !== 'run.status' || (payload as { status: string }).status !== 'completed' || !ctx.workspace) return;
    const { runId } = payload as { runId: number };
    const { db, inference } = services.current();
    if (unlabelledImageIds(db).length === 0) return;
    inference.suggest(runId).then(changed, (error: unknown) => {
      ctx.events.emit('job.progress', {
        jobId: `run-${runId}-suggest`, kind: 'suggest', done: 0, total: null, message: `Suggestions failed: ${error instanceof Error ? error.message : String(error)}`,
      });
    });
  });
  return {
    suggestLabels: async ({ runId }: { runId: number }) => {
      const { db, inference } = services.current();
      requireRun(db, runId);
      const result = await inference.suggest(runId, (done, total) =>
        ctx.events.emit('job.progress', { jobId: `run-${runId}-suggest`, kind: 'suggest', done, total, message: 'Decoding unlabelled images' }),
      );
      changed();
      return result;
    },
    labelSuggestions: ({ runId, imageIds }: { runId?: number | undefined; imageIds?: number[] | undefined }): LabelSuggestions => {
      const { db } = services.current();
      const found = suggestionsOf(db, runId, 'margin', imageIds);
      return {
        runId: found.runId,
        classNames: found.classNames,
        suggestions: found.rows.map((r, i) => ({
          imageId: r.imageId, predicted: r.predicted, className: found.classNames[r.predicted]!, confidence: r.confidence, uncertainty: found.uncertainty[i]!,
        })),
      };
    },
    confirmSuggestions: ({ runId, imageIds, minConfidence }: { runId: number; imageIds?: number[] | undefined; minConfidence: number }) => {
      const { db } = services.current();
      const run = requireRun(db, runId);
      const rows = openSuggestions(db, runId, imageIds).filter((r) => r.confidence >= minConfidence);
      if (imageIds && rows.length === 0) {
        throw new StudioError('conflict', `imageIds: none of these images has an open suggestion from run ${runId} at or above ${Math.round(minConfidence * 100)} %`, { field: 'imageIds' });
      }
      if (rows.length === 0) return { changed: 0 };
      const classIds = run.classNames.map((name) => liveClassByName(db, name)?.id ?? null);
      const assignments = rows.map((r) => {
        const classId = classIds[r.predicted];
        if (classId === null || classId === undefined) {
          throw new StudioError('conflict', `Class "${run.classNames[r.predicted]}" of run ${runId} no longer exists: add it again or suggest with a newer run`, { field: 'runId' });
        }
        return { imageId: r.imageId, classId };
      });
      const summary = imageIds && rows.length === 1
        ? `Confirmed the suggestion ${run.classNames[rows[0]!.predicted]} for 1 image`
        : `Confirmed ${rows.length} suggestion${rows.length === 1 ? '' : 's'}${minConfidence > 0 ? ` at or above ${Math.round(minConfidence * 100)} %` : ''}`;
      const result = assignLabels(db, assignments, summary, ctx.mode);
      changed();
      return result;
    },
    labelNext: ({ runId, measure, screenSize, limit }: { runId?: number | undefined; measure: UncertaintyMeasure; screenSize: number; limit: number }): LabelSuggestions => {
      const { db } = services.current();
      const found = suggestionsOf(db, runId, measure);
      const k = found.classNames.length;
      const probabilities = new Float32Array(found.rows.length * k);
      found.rows.forEach((r, i) => probabilities.set(r.probabilities, i * k));
      const order = found.rows.length === 0 ? [] : labelNextOrder(probabilities, k, { measure, screenSize });
      return {
        runId: found.runId,
        classNames: found.classNames,
        suggestions: order.slice(0, limit).map((i) => {
          const r = found.rows[i]!;
          return { imageId: r.imageId, predicted: r.predicted, className: found.classNames[r.predicted]!, confidence: r.confidence, uncertainty: found.uncertainty[i]! };
        }),
      };
    },
    backgroundRetrain: () => services.current().retrainer.status(),
    setBackgroundRetrain: (args: BackgroundRetrainArgs) => services.current().retrainer.configure(args),
    startLabelIssues: (args: LabelIssueJobArgs) => services.current().labelIssues.start(args),
    listLabelIssueJobs: () => services.current().labelIssues.list(),
    stopLabelIssues: ({ jobId }: { jobId: number }) => services.current().labelIssues.stop(jobId),
    resumeLabelIssues: ({ jobId }: { jobId: number }) => services.current().labelIssues.resume(jobId),
    labelIssueReport: ({ jobId, limit }: { jobId?: number | undefined; limit: number }): LabelIssueReport | null => {
      const { db, labelIssues } = services.current();
      const row = jobId !== undefined ? labelIssues.get(jobId) : listLabelIssueJobs(db).find((j) => j.status === 'completed');
      if (!row) return null;
      const job = labelIssues.summary(row);
      const currentClass = new Map(job.classNames.map((name, index) => [index, liveClassByName(db, name)?.id ?? null]));
      const issues = storedLabelIssues(db, row.id, limit).map((issue) => ({
        rank: issue.rank,
        imageId: issue.imageId,
        fileName: issue.fileName,
        path: issue.sourcePath,
        given: job.classNames[issue.given]!,
        suggested: job.classNames[issue.suggested]!,
        score: issue.score,
        suggestedProbability: issue.suggestedProbability,
        open: issue.currentClassId !== null && issue.currentClassId === currentClass.get(issue.given),
      }));
      const warning = job.accuracy !== null && job.accuracy < LOW_ACCURACY
        ? `The models behind this ranking are right on only ${Math.round(job.accuracy * 100)} % of images they never saw (below ${Math.round(LOW_ACCURACY * 100)} %): many flagged images will have correct labels. Train longer or with a larger model before trusting it.`
        : null;
      return { job, issues, warning };
    },
  };
}
