/**
 * Runs of one workspace: creation with a label snapshot, a queue (one run trains at a time), the
 * training worker's lifecycle, and the translation of its messages into contract events. A worker
 * that dies without finishing leaves its run 'interrupted', resumable from its last checkpoint.
 */
import type { Worker } from 'node:worker_threads';
import { isVariantName, variantNames } from '../../../ml/model/index.js';
import type { RunConfig, RunSummary } from '../../common/contract/runs.js';
import { StudioError } from '../../common/errors.js';
import type { EventHub } from '../events.js';
import type { Db } from '../storage/db.js';
import { createRunWithSnapshot, getRunRow, listRunRows, runEpochs, runSplitCounts, runsWithStatus, snapshotClasses, updateRun, type RunRow } from '../storage/runs.js';
import type { TrainMessage } from './protocol.js';
import { spawnMlWorker } from './workerHost.js';

export interface RunManagerOptions {
  backend?: string;
  threads?: number;
  /** Seconds between mid-epoch checkpoints (default 120: a crash loses at most that much training). */
  checkpointIntervalSeconds?: number;
}

export type RunOutcome = Extract<TrainMessage, { type: 'finished' } | { type: 'failed' }> | { type: 'interrupted' };

export class RunManager {
  private active: { runId: number; worker: Worker } | null = null;
  private readonly queue: number[] = [];
  private readonly waiters = new Map<number, ((outcome: RunOutcome) => void)[]>();

  constructor(
    private readonly db: Db,
    private readonly workspace: string,
    private readonly events: EventHub,
    private readonly options: RunManagerOptions = {},
  ) {
    // Runs that were training when the studio last stopped (closed or killed) did not finish.
    for (const run of runsWithStatus(db, ['running', 'paused', 'queued'])) {
      updateRun(db, run.id, { status: 'interrupted' });
    }
  }

  summary(run: RunRow): RunSummary {
    const epochs = runEpochs(this.db, run.id);
    return {
      ...run,
      images: runSplitCounts(this.db, run.id),
      valAccuracy: epochs.at(-1)?.valAccuracy ?? null,
    };
  }

  get(runId: number): RunRow {
    const run = getRunRow(this.db, runId);
    if (!run) throw new StudioError('not_found', `Run ${runId} does not exist in this workspace`, { field: 'runId' });
    return run;
  }

  list(): RunSummary[] {
    return listRunRows(this.db).map((run) => this.summary(run));
  }

  create(config: RunConfig, name?: string): RunSummary {
    if (!isVariantName(config.model)) {
      throw new StudioError('invalid_argument', `config.model: "${config.model}" is not a model variant (choose ${variantNames.join(', ')})`, { field: 'config.model' });
    }
    const classes = snapshotClasses(this.db);
    if (classes.length < 2) {
      throw new StudioError('conflict', `Training needs at least two classes with labelled images; this workspace has ${classes.length}`);
    }
    const runId = createRunWithSnapshot(this.db, name?.trim() || `${config.model} ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`, config, classes);
    const counts = runSplitCounts(this.db, runId);
    if (counts.train < config.batchSize) {
      updateRun(this.db, runId, { status: 'failed', error: `only ${counts.train} training images`, finishedAt: Date.now() });
      throw new StudioError('conflict', `The snapshot has ${counts.train} training images, fewer than one batch of ${config.batchSize}; lower the batch size or label more images`, { field: 'config.batchSize' });
    }
    this.enqueue(runId);
    return this.summary(this.get(runId));
  }

  pause(runId: number): RunSummary {
    this.requireActive(runId).worker.postMessage({ type: 'pause' });
    return this.summary(this.get(runId));
  }

  /** A paused run continues; an interrupted, stopped or failed one restarts from its last checkpoint. */
  resume(runId: number): RunSummary {
    const run = this.get(runId);
    if (this.active?.runId === runId) {
      this.active.worker.postMessage({ type: 'resume' });
    } else if (run.status === 'completed') {
      throw new StudioError('conflict', `Run ${runId} has completed; create a new run to train further`);
    } else if (!this.queue.includes(runId)) {
      updateRun(this.db, runId, { status: 'queued', error: null });
      this.enqueue(runId);
    }
    return this.summary(this.get(runId));
  }

  stop(runId: number): RunSummary {
    const queued = this.queue.indexOf(runId);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      updateRun(this.db, runId, { status: 'stopped', finishedAt: Date.now() });
      this.emitStatus(runId);
    } else {
      this.requireActive(runId).worker.postMessage({ type: 'stop' });
    }
    return this.summary(this.get(runId));
  }

  /** Resolves when the run's worker finishes, fails or dies. */
  waitFor(runId: number): Promise<RunOutcome> {
    return new Promise((resolve) => {
      const list = this.waiters.get(runId) ?? [];
      list.push(resolve);
      this.waiters.set(runId, list);
    });
  }

  /** Ends the active worker at once (the app is quitting): its run stays resumable. */
  async close(): Promise<void> {
    this.queue.length = 0;
    const active = this.active;
    if (active) await active.worker.terminate();
  }

  private requireActive(runId: number): { runId: number; worker: Worker } {
    if (this.active?.runId !== runId) {
      throw new StudioError('conflict', `Run ${runId} is not training (status: ${this.get(runId).status})`, { field: 'runId' });
    }
    return this.active;
  }

  private enqueue(runId: number): void {
    this.queue.push(runId);
    this.emitStatus(runId);
    this.pump();
  }

  private emitStatus(runId: number, started?: { backend: string; detail: string }): void {
    const run = this.get(runId);
    this.events.emit('run.status', { runId, status: run.status, error: run.error, ...started });
  }

  private settle(runId: number, outcome: RunOutcome): void {
    for (const resolve of this.waiters.get(runId) ?? []) resolve(outcome);
    this.waiters.delete(runId);
  }

  private pump(): void {
    if (this.active || this.queue.length === 0) return;
    const runId = this.queue.shift()!;
    const worker = spawnMlWorker({ kind: 'train', workspace: this.workspace, runId, ...this.options });
    this.active = { runId, worker };
    let outcome: RunOutcome | null = null;
    worker.on('message', (message: TrainMessage) => {
      if (message.type === 'finished' || message.type === 'failed') outcome = message;
      this.relay(runId, message);
    });
    worker.on('error', (error) => {
      outcome ??= { type: 'failed', error: error.message };
      updateRun(this.db, runId, { status: 'failed', error: error.message, finishedAt: Date.now() });
    });
    worker.on('exit', () => {
      if (!outcome) {
        // Killed or crashed mid-run: the last checkpoint is intact, so the run can resume.
        const status = this.get(runId).status;
        if (status === 'running' || status === 'paused' || status === 'queued') updateRun(this.db, runId, { status: 'interrupted' });
        outcome = { type: 'interrupted' };
      }
      this.emitStatus(runId);
      this.active = null;
      this.settle(runId, outcome);
      this.pump();
    });
  }

  private relay(runId: number, message: TrainMessage): void {
    switch (message.type) {
      case 'batch': {
        const { type: _type, ...progress } = message;
        this.events.emit('run.batch', { runId, ...progress });
        break;
      }
      case 'epoch':
        this.events.emit('run.epoch', { runId, epochs: message.epochs, ...message.metrics });
        break;
      case 'masks':
        this.events.emit('run.masks', { runId, epoch: message.epoch, frames: message.frames });
        break;
      case 'cache':
        this.events.emit('job.progress', { jobId: `run-${runId}-cache`, kind: 'training-cache', done: message.done, total: message.total, message: 'Decoding images at the run input size' });
        break;
      case 'measuring':
        this.events.emit('job.progress', {
          jobId: `run-${runId}-measure`, kind: 'backend-measure', done: message.done, total: message.total,
          message: `Measuring how fast ${message.backend} trains this model`,
        });
        break;
      case 'status':
        this.emitStatus(runId, message.backend && message.detail ? { backend: message.backend, detail: message.detail } : undefined);
        break;
      case 'finished':
      case 'failed':
        this.emitStatus(runId);
        break;
    }
  }
}
