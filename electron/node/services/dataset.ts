/**
 * The dataset service: the contract's import, browse, label, split and export methods over the open
 * workspace's database. Imports run as jobs on their own connection, so the grid keeps reading (WAL)
 * while a batch is being written; progress goes out as events.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { ImportJob, ImportProgress, LabelState, SplitName } from '../../common/contract/dataset.js';
import { StudioError } from '../../common/errors.js';
import { exportDataset } from '../export/exportDataset.js';
import { importImages } from '../import/importer.js';
import { imagePreview } from '../import/preview.js';
import { requireFolder } from '../import/walk.js';
import { reapAbandoned } from '../ownership.js';
import { openWorkspaceDb, type Db } from '../storage/db.js';
import { classCounts, countImages, getImage, imageCursors, listImages, type ImageFilter } from '../storage/images.js';
import { excludeImport, importReport, listImports } from '../storage/imports.js';
import * as labels from '../storage/labels.js';
import { lockTestSplit, refuseIfTestLocked, setSplitRatios, splitSettings } from '../storage/splits.js';
import { getThumbnail, getThumbnails } from '../storage/thumbnails.js';
import type { ServiceContext } from './context.js';

interface JobRecord extends ImportJob {
  workspace: string;
  abort: AbortController;
}

function emptyProgress(jobId: string): ImportProgress {
  return { jobId, seen: 0, processed: 0, imported: 0, unchanged: 0, duplicates: 0, skipped: 0, imagesPerSecond: 0, elapsedSeconds: 0, walkDone: false };
}

export function datasetHandlers(ctx: ServiceContext) {
  const connections = new Map<string, Db>();
  const jobs = new Map<string, JobRecord>();

  const workspace = (): string => {
    if (!ctx.workspace) throw new StudioError('conflict', 'No workspace is open: open or create a workspace folder first');
    return ctx.workspace;
  };

  /** One long-lived connection per workspace for queries and edits. */
  const db = (): Db => {
    const folder = workspace();
    let connection = connections.get(folder);
    if (!connection) {
      connection = openWorkspaceDb(folder);
      connections.set(folder, connection);
    }
    return connection;
  };

  const changed = (reason: 'import' | 'labels' | 'classes' | 'splits') => ctx.events.emit('dataset.changed', { reason });

  const publicJob = (job: JobRecord): ImportJob => ({
    jobId: job.jobId,
    state: job.state,
    progress: job.progress,
    report: job.report,
    error: job.error,
  });

  const requireJob = (jobId: string): JobRecord => {
    const job = jobs.get(jobId);
    if (!job) throw new StudioError('not_found', `jobId: no import job ${jobId} in this session`, { field: 'jobId' });
    return job;
  };

  async function runImport(job: JobRecord, args: { folder: string; csv?: string; maxPixels?: number; split?: SplitName }): Promise<void> {
    let connection: Db | null = null;
    try {
      connection = openWorkspaceDb(job.workspace);
      job.report = await importImages(connection, {
        folder: args.folder,
        workspace: job.workspace,
        ...(args.csv ? { csv: args.csv } : {}),
        ...(args.maxPixels ? { maxPixels: args.maxPixels } : {}),
        ...(args.split ? { split: args.split } : {}),
        signal: job.abort.signal,
        onProgress: (progress) => {
          job.progress = { jobId: job.jobId, ...progress };
          ctx.events.emit('import.progress', job.progress);
          ctx.events.emit('job.progress', {
            jobId: job.jobId,
            kind: 'import',
            done: progress.processed,
            total: progress.walkDone ? progress.seen : null,
            message: `${progress.imported} imported, ${progress.duplicates} duplicates, ${progress.skipped} skipped`,
          });
        },
      });
      job.state = job.report.cancelled ? 'cancelled' : 'done';
    } catch (error) {
      job.state = 'failed';
      job.error = error instanceof Error ? error.message : String(error);
    } finally {
      connection?.close();
    }
    ctx.events.emit('import.finished', { jobId: job.jobId, state: job.state, report: job.report, error: job.error });
    changed('import');
  }

  return {
    importFolder: async (args: { folder: string; csv?: string | undefined; maxPixels?: number | undefined; split?: SplitName | undefined }) => {
      const folder = workspace();
      const running = [...jobs.values()].find((job) => job.state === 'running' && job.workspace === folder);
      if (running) {
        throw new StudioError('conflict', `An import into ${folder} is already running (job ${running.jobId}); wait for it or cancel it`);
      }
      const source = path.resolve(args.folder);
      if (!args.csv) await requireFolder(source);
      // Refused before a job starts, so the dialog says why at once.
      if (args.split === 'test') refuseIfTestLocked(db(), 'importing a folder as the test split would add to it', 1);
      const jobId = randomUUID();
      const job: JobRecord = {
        jobId,
        state: 'running',
        progress: emptyProgress(jobId),
        report: null,
        error: null,
        workspace: folder,
        abort: new AbortController(),
      };
      jobs.set(jobId, job);
      void runImport(job, {
        folder: source,
        ...(args.csv ? { csv: path.resolve(args.csv) } : {}),
        ...(args.maxPixels ? { maxPixels: args.maxPixels } : {}),
        ...(args.split ? { split: args.split } : {}),
      });
      return { jobId };
    },
    importStatus: (args: { jobId: string }) => publicJob(requireJob(args.jobId)),
    cancelImport: (args: { jobId: string }) => {
      const job = requireJob(args.jobId);
      if (job.state !== 'running') return { cancelled: false };
      job.abort.abort();
      return { cancelled: true };
    },
    listImages: (args: ImageFilterArgs & { after?: number | undefined; limit?: number | undefined }) =>
      listImages(db(), {
        ...imageFilter(args),
        ...(args.after !== undefined ? { after: args.after } : {}),
        ...(args.limit !== undefined ? { limit: args.limit } : {}),
      }),
    countImages: (args: ImageFilterArgs) => ({ count: countImages(db(), imageFilter(args)) }),
    imageCursors: (args: ImageFilterArgs & { after?: number | undefined; every: number; pages: number }) => ({
      cursors: imageCursors(db(), imageFilter(args), args.every, args.pages, args.after ?? 0),
    }),
    getImage: (args: { imageId: number }) => getImage(db(), args.imageId),
    classCounts: () => classCounts(db()),
    getThumbnail: (args: { imageId: number }) => getThumbnail(db(), args.imageId),
    getThumbnails: (args: { imageIds: number[] }) => getThumbnails(db(), args.imageIds),
    getImagePreview: (args: { imageId: number; maxSide: number }) => imagePreview(db(), args.imageId, args.maxSide),
    relabelImages: (args: { imageIds: number[]; classId: number | null }) => {
      const result = labels.relabelImages(db(), args.imageIds, args.classId, ctx.mode);
      changed('labels');
      return result;
    },
    moveToSplit: (args: { imageIds: number[]; split: SplitName | null }) => {
      const result = labels.moveImagesToSplit(db(), args.imageIds, args.split, ctx.mode);
      changed('splits');
      return result;
    },
    importReport: (args: { importId: number }) => {
      reapAbandoned(db());
      return importReport(db(), args.importId);
    },
    listImports: () => {
      // An import whose process was killed shows as interrupted, not running.
      reapAbandoned(db());
      return listImports(db());
    },
    excludeImport: (args: { importId: number }) => {
      const result = excludeImport(db(), args.importId, ctx.mode);
      changed('labels');
      return result;
    },
    setLabelState: (args: { imageIds: number[]; state: LabelState }) => {
      const result = labels.setLabelState(db(), args.imageIds, args.state, ctx.mode);
      changed('labels');
      return result;
    },
    addClass: (args: { name: string }) => {
      const id = labels.addClass(db(), args.name, ctx.mode);
      changed('classes');
      return classCountOf(db(), id);
    },
    renameClass: (args: { classId: number; name: string }) => {
      labels.renameClass(db(), args.classId, args.name, ctx.mode);
      changed('classes');
      return classCountOf(db(), args.classId);
    },
    mergeClasses: (args: { sourceIds: number[]; targetId: number }) => {
      labels.mergeClasses(db(), args.sourceIds, args.targetId, ctx.mode);
      changed('classes');
      return classCountOf(db(), args.targetId);
    },
    deleteClass: (args: { classId: number }) => {
      const result = labels.deleteClass(db(), args.classId, ctx.mode);
      changed('classes');
      return result;
    },
    labelHistory: (args: { limit?: number | undefined }) => labels.labelHistory(db(), args.limit ?? 50),
    undoLabelEdit: () => {
      const edit = labels.undoLabelEdit(db());
      if (edit) changed('labels');
      return { edit };
    },
    redoLabelEdit: () => {
      const edit = labels.redoLabelEdit(db());
      if (edit) changed('labels');
      return { edit };
    },
    getSplitSettings: () => splitSettings(db()),
    setSplitRatios: (args: { train: number; val: number; test: number; seed?: number | undefined }) => {
      const result = setSplitRatios(db(), { train: args.train, val: args.val, test: args.test, ...(args.seed !== undefined ? { seed: args.seed } : {}) });
      changed('splits');
      return result;
    },
    lockTestSplit: (args: { locked: boolean }) => {
      const result = lockTestSplit(db(), args.locked);
      changed('splits');
      return result;
    },
    exportDataset: (args: { destination: string; format: 'folders' | 'csv'; splits?: SplitName[] | undefined; bySplit?: boolean | undefined; includeUnsure?: boolean | undefined }) =>
      exportDataset(db(), {
        destination: path.resolve(args.destination),
        format: args.format,
        ...(args.splits ? { splits: args.splits } : {}),
        bySplit: args.bySplit ?? false,
        includeUnsure: args.includeUnsure ?? false,
      }),
  };
}

interface ImageFilterArgs {
  classId?: number | null | undefined;
  split?: SplitName | undefined;
  state?: LabelState | undefined;
  search?: string | undefined;
  importId?: number | undefined;
  prediction?: { runId: number; predicted: number } | undefined;
}

/** The validated filter arguments without the keys left out (exactOptionalPropertyTypes). */
function imageFilter(args: ImageFilterArgs): ImageFilter {
  return {
    ...(args.classId !== undefined ? { classId: args.classId } : {}),
    ...(args.split ? { split: args.split } : {}),
    ...(args.state ? { state: args.state } : {}),
    ...(args.search ? { search: args.search } : {}),
    ...(args.importId !== undefined ? { importId: args.importId } : {}),
    ...(args.prediction ? { prediction: args.prediction } : {}),
  };
}

function classCountOf(db: Db, classId: number) {
  const found = classCounts(db).classes.find((c) => c.id === classId);
  if (!found) throw new StudioError('not_found', `classId: no class with id ${classId}`, { field: 'classId' });
  return found;
}
