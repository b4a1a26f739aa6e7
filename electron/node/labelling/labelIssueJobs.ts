/**
 * "Find label issues" jobs of one workspace: creation (a frozen list of labelled images with their
 * classes), one job at a time in its own worker thread, stop and resume, and progress as `job.progress`
 * events. A job whose process died (no heartbeat for a while) shows as interrupted and can be resumed:
 * its finished folds are in the database.
 */
import type { Worker } from 'node:worker_threads';
import { stratifiedFolds } from '../../../ml/analysis/folds.js';
import { isVariantName, variantNames } from '../../../ml/model/index.js';
import type { LabelIssueJob, LabelIssueJobArgs } from '../../common/contract/labelling.js';
import { StudioError } from '../../common/errors.js';
import type { EventHub } from '../events.js';
import type { Db } from '../storage/db.js';
import { createLabelIssueJob, getLabelIssueJob, listLabelIssueJobs, updateLabelIssueJob, type LabelIssueJobRow } from '../storage/labelIssues.js';
import { snapshotClasses } from '../storage/runs.js';
import { statement } from '../storage/statements.js';
import type { LabelIssuesMessage } from '../training/protocol.js';
import { spawnMlWorker, stopMlWorker } from '../training/workerHost.js';

/** A running job that has not reported for this long belongs to a process that is gone. */
const STALE_AFTER_MS = 5 * 60_000;
/** The default input size: the images' own (median short side), at most this. */
const MAX_DEFAULT_SIZE = 32;

export type JobOutcome = Extract<LabelIssuesMessage, { type: 'finished' } | { type: 'failed' }> | { type: 'interrupted' };

export class LabelIssueJobs {
  private active: { jobId: number; worker: Worker } | null = null;
  private readonly queue: number[] = [];
  private readonly waiters = new Map<number, ((outcome: JobOutcome) => void)[]>();

  constructor(
    private readonly db: Db,
    private readonly workspace: string,
    private readonly events: EventHub,
    private readonly options: { backend?: string; threads?: number } = {},
  ) {}

  summary(row: LabelIssueJobRow): LabelIssueJob {
    const images = statement<[number], { n: number }>(this.db, 'SELECT count(*) AS n FROM label_issue_images WHERE job_id = ?').get(row.id)!.n;
    const { heartbeatAt: _heartbeat, ...fields } = row;
    return { ...fields, images };
  }

  get(jobId: number): LabelIssueJobRow {
    const row = getLabelIssueJob(this.db, jobId);
    if (!row) throw new StudioError('not_found', `jobId: label-issue job ${jobId} does not exist in this workspace`, { field: 'jobId' });
    return row;
  }

  list(): LabelIssueJob[] {
    this.reap();
    return listLabelIssueJobs(this.db).map((row) => this.summary(row));
  }

  start(args: LabelIssueJobArgs): LabelIssueJob {
    if (!isVariantName(args.model)) {
      throw new StudioError('invalid_argument', `model: "${args.model}" is not a model variant (choose ${variantNames.join(', ')})`, { field: 'model' });
    }
    const classes = snapshotClasses(this.db);
    if (classes.length < 2) throw new StudioError('conflict', `Finding label issues needs at least two classes with labelled images; this workspace has ${classes.length}`);
    const indexOf = new Map(classes.map((c, index) => [c.id, index]));
    const images = statement<[], { id: number; class_id: number; side: number }>(
      this.db, "SELECT id, class_id, min(width, height) AS side FROM images WHERE class_id IS NOT NULL AND state = 'ok' ORDER BY id",
    ).all().filter((image) => indexOf.has(image.class_id));
    const folds = args.folds ?? 0;
    const perFold = images.length / Math.max(2, folds);
    if (perFold < args.batchSize) {
      throw new StudioError('conflict', `${images.length} labelled images are too few for ${Math.max(2, folds)} folds with batches of ${args.batchSize}; lower folds or batchSize`, { field: 'folds' });
    }
    const sides = images.map((i) => i.side).sort((a, b) => a - b);
    const imageSize = args.imageSize ?? Math.max(8, Math.min(MAX_DEFAULT_SIZE, sides[Math.floor(sides.length / 2)]!));
    const labels = images.map((i) => indexOf.get(i.class_id)!);
    // Without K the worker plans it from the budget and deals the folds again; until then, two.
    const assignment = stratifiedFolds(labels, folds || 2, args.seed);
    const jobId = createLabelIssueJob(
      this.db,
      {
        model: args.model, imageSize, folds, epochsPerFold: args.epochs, batchSize: args.batchSize, learningRate: args.learningRate,
        seed: args.seed, maxMinutes: args.maxMinutes ?? null, plan: folds ? `${folds} folds as asked` : 'folds chosen when the job starts',
      },
      classes.map((c) => c.name),
      images.map((image, i) => ({ imageId: image.id, classIndex: labels[i]!, fold: assignment[i]! })),
    );
    this.enqueue(jobId);
    return this.summary(this.get(jobId));
  }

  stop(jobId: number): LabelIssueJob {
    const row = this.get(jobId);
    const queued = this.queue.indexOf(jobId);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      updateLabelIssueJob(this.db, jobId, { status: 'stopped', finishedAt: Date.now() });
    } else if (this.active?.jobId === jobId) {
      this.active.worker.postMessage({ type: 'stop' });
    } else {
      throw new StudioError('conflict', `jobId: label-issue job ${jobId} is not running here (status: ${row.status})`, { field: 'jobId' });
    }
    return this.summary(this.get(jobId));
  }

  resume(jobId: number): LabelIssueJob {
    this.reap();
    const row = this.get(jobId);
    if (row.status === 'completed') throw new StudioError('conflict', `jobId: label-issue job ${jobId} has completed; start a new one`, { field: 'jobId' });
    if (row.status === 'running' || row.status === 'queued') return this.summary(row);
    updateLabelIssueJob(this.db, jobId, { status: 'queued', error: null });
    this.enqueue(jobId);
    return this.summary(this.get(jobId));
  }

  waitFor(jobId: number): Promise<JobOutcome> {
    return new Promise((resolve) => {
      const list = this.waiters.get(jobId) ?? [];
      list.push(resolve);
      this.waiters.set(jobId, list);
    });
  }

  async close(): Promise<void> {
    this.queue.length = 0;
    const active = this.active;
    if (active) {
      await stopMlWorker(active.worker);
      // A job that had already stopped or finished keeps its status; one cut off mid-fold is resumable.
      const row = getLabelIssueJob(this.db, active.jobId);
      if (row && (row.status === 'running' || row.status === 'queued')) updateLabelIssueJob(this.db, active.jobId, { status: 'interrupted', etaSeconds: null });
    }
  }

  /** Jobs left running or queued by a process that is gone are interrupted (resumable). */
  private reap(): void {
    const now = Date.now();
    for (const row of listLabelIssueJobs(this.db)) {
      if (row.status !== 'running' && row.status !== 'queued') continue;
      if (this.active?.jobId === row.id || this.queue.includes(row.id)) continue;
      const last = row.heartbeatAt ?? row.createdAt;
      if (now - last > STALE_AFTER_MS) updateLabelIssueJob(this.db, row.id, { status: 'interrupted', etaSeconds: null });
    }
  }

  private enqueue(jobId: number): void {
    this.queue.push(jobId);
    updateLabelIssueJob(this.db, jobId, { heartbeatAt: Date.now() });
    this.pump();
  }

  private pump(): void {
    if (this.active || this.queue.length === 0) return;
    const jobId = this.queue.shift()!;
    const worker = spawnMlWorker({ kind: 'labelIssues', workspace: this.workspace, jobId, ...this.options });
    this.active = { jobId, worker };
    let outcome: JobOutcome | null = null;
    const progressId = `label-issues-${jobId}`;
    worker.on('message', (message: LabelIssuesMessage) => {
      if (message.type === 'progress') {
        this.events.emit('job.progress', { jobId: progressId, kind: 'label-issues', done: message.done, total: message.total, message: message.message });
      } else {
        outcome = message;
        this.events.emit('job.progress', {
          jobId: progressId, kind: 'label-issues', done: 1, total: 1,
          message: message.type === 'failed' ? `Failed: ${message.error}` : message.status === 'completed' ? 'Label issues found' : 'Stopped',
        });
      }
    });
    worker.on('error', (error) => {
      outcome ??= { type: 'failed', error: error.message };
      updateLabelIssueJob(this.db, jobId, { status: 'failed', error: error.message, finishedAt: Date.now() });
    });
    worker.on('exit', () => {
      outcome ??= { type: 'interrupted' };
      const row = getLabelIssueJob(this.db, jobId);
      if (row && (row.status === 'running' || row.status === 'queued')) updateLabelIssueJob(this.db, jobId, { status: 'interrupted' });
      this.active = null;
      for (const resolve of this.waiters.get(jobId) ?? []) resolve(outcome);
      this.waiters.delete(jobId);
      this.pump();
    });
  }
}
