/**
 * Runs of one workspace: creation with a label snapshot, a queue (one run trains at a time), the
 * training worker's lifecycle, and the translation of its messages into contract events.
 *
 * Several processes may share the workspace (the studio, CLI `train` commands), so every run this
 * manager queues or trains is held by its owner (ownership.ts): no other process resumes it while
 * this one lives, and a run is marked 'interrupted' (resumable from its last checkpoint) only when its
 * worker dies or its owning process is gone.
 */
import type { Worker } from 'node:worker_threads';
import { isVariantName, variantNames } from '../../../ml/model/index.js';
import type { RunConfig, RunSummary } from '../../common/contract/runs.js';
import { StudioError } from '../../common/errors.js';
import { resolveAugmentation } from '../../common/recipe.js';
import type { EventHub } from '../events.js';
import { describeOwner, reapAbandoned, WorkspaceOwner, type LeaseTiming } from '../ownership.js';
import type { Db } from '../storage/db.js';
import { getOwner } from '../storage/owners.js';
import { createRunWithSnapshot, getRunRow, snapshotMedianShortSide, listRunRows, releaseRun, runEpochs, runSplitCounts, snapshotClasses, updateRun, type RunRow } from '../storage/runs.js';
import type { TrainMessage } from './protocol.js';
import { spawnMlWorker, stopMlWorker } from './workerHost.js';

export interface RunManagerOptions {
  backend?: string;
  threads?: number;
  /** Seconds between mid-epoch checkpoints (default 120: a crash loses at most that much training). */
  checkpointIntervalSeconds?: number;
  /** A cap on the wasm backend's memory below its 4 GiB, e.g. to leave room for other work (tests use a small one). */
  wasmMemoryLimitBytes?: number;
  /** Heartbeat and staleness of this process's hold on its runs (tests shorten them). */
  lease?: LeaseTiming;
  /** Called when a run trains to its last epoch (the studio evaluates it then). */
  onCompleted?: (runId: number) => void;
}

export type RunOutcome = Extract<TrainMessage, { type: 'finished' } | { type: 'failed' }> | { type: 'interrupted' };

export class RunManager {
  private active: { runId: number; worker: Worker } | null = null;
  private readonly queue: number[] = [];
  private readonly waiters = new Map<number, ((outcome: RunOutcome) => void)[]>();
  private readonly owner: WorkspaceOwner;
  /** Why each run this manager holds as queued has not started training yet. */
  private readonly waiting = new Map<number, string>();

  constructor(
    private readonly db: Db,
    private readonly workspace: string,
    private readonly events: EventHub,
    private readonly options: RunManagerOptions = {},
  ) {
    this.owner = new WorkspaceOwner(db, { ...options.lease, onLost: () => this.lost() });
    // Runs whose process stopped (closed, crashed, killed) did not finish; runs another live process
    // is training are left to it.
    this.reap();
  }

  summary(run: RunRow): RunSummary {
    const epochs = runEpochs(this.db, run.id);
    const { ownerId: _ownerId, ...fields } = run;
    return {
      ...fields,
      images: runSplitCounts(this.db, run.id),
      valAccuracy: epochs.at(-1)?.valAccuracy ?? null,
      waiting: this.waitingReason(run),
    };
  }

  get(runId: number): RunRow {
    const run = getRunRow(this.db, runId);
    if (!run) throw new StudioError('not_found', `Run ${runId} does not exist in this workspace`, { field: 'runId' });
    return run;
  }

  list(): RunSummary[] {
    this.reap();
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
    // An 'auto' augmentation becomes the one for these images' size, stored with the run as used.
    config = { ...config, augmentation: resolveAugmentation(config.augmentation, snapshotMedianShortSide(this.db)).augmentation };
    const ownerId = this.owner.register();
    const runId = createRunWithSnapshot(this.db, name?.trim() || `${config.model} ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`, config, classes, ownerId);
    const counts = runSplitCounts(this.db, runId);
    if (counts.train < config.batchSize) {
      updateRun(this.db, runId, { status: 'failed', error: `only ${counts.train} training images`, finishedAt: Date.now(), ownerId: null });
      throw new StudioError('conflict', `The snapshot has ${counts.train} training images, fewer than one batch of ${config.batchSize}; lower the batch size or label more images`, { field: 'config.batchSize' });
    }
    this.enqueue(runId);
    return this.summary(this.get(runId));
  }

  pause(runId: number): RunSummary {
    this.requireActive(runId, 'pause').worker.postMessage({ type: 'pause' });
    return this.summary(this.get(runId));
  }

  /**
   * A paused run continues; an interrupted, stopped or failed one restarts from its last checkpoint.
   * Refused while another live process holds the run (it is training it, or has it queued).
   */
  resume(runId: number): RunSummary {
    if (this.active?.runId === runId) {
      this.active.worker.postMessage({ type: 'resume' });
    } else if (!this.queue.includes(runId)) {
      this.get(runId);
      this.reap();
      const ownerId = this.owner.register();
      // Claimed under the write lock: of two processes resuming the same run, one gets it.
      this.db.transaction(() => {
        const run = this.get(runId);
        this.refuseIfHeldElsewhere(run, 'resume');
        if (run.status === 'completed') throw new StudioError('conflict', `Run ${runId} has completed; create a new run to train further`);
        updateRun(this.db, runId, { status: 'queued', error: null, ownerId });
      }).immediate();
      this.enqueue(runId);
    }
    return this.summary(this.get(runId));
  }

  stop(runId: number): RunSummary {
    const queued = this.queue.indexOf(runId);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.waiting.delete(runId);
      updateRun(this.db, runId, { status: 'stopped', finishedAt: Date.now(), ownerId: null }, this.owner.id);
      this.emitStatus(runId);
      this.explainQueue();
    } else {
      this.requireActive(runId, 'stop').worker.postMessage({ type: 'stop' });
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

  /** Ends the active worker at once (the app is quitting): its run, and any queued, stay resumable. */
  async close(): Promise<void> {
    this.queue.length = 0;
    const active = this.active;
    if (active) await stopMlWorker(active.worker);
    this.owner.release();
  }

  /** A queued run's reason for waiting: its phase here, or the process that holds it. */
  private waitingReason(run: RunRow): string | null {
    if (run.status !== 'queued') return null;
    const here = this.waiting.get(run.id);
    if (here) return here;
    if (run.ownerId && run.ownerId !== this.owner.id) {
      const owner = getOwner(this.db, run.ownerId);
      return `queued by another process (${owner ? describeOwner(owner) : 'gone'})`;
    }
    return null;
  }

  /** Sets a queued run's reason and announces it, when it changed. */
  private wait(runId: number, reason: string | null): void {
    if ((this.waiting.get(runId) ?? null) === reason) return;
    if (reason === null) this.waiting.delete(runId);
    else this.waiting.set(runId, reason);
    this.emitStatus(runId);
  }

  /** Every queued run waits for the active one, and for those queued before it. */
  private explainQueue(): void {
    this.queue.forEach((runId, position) => this.wait(runId, this.queueReason(position)));
  }

  private queueReason(position: number): string {
    const ahead = position > 0 ? ` and ${position} queued before it` : '';
    return this.active ? `waiting for run ${this.active.runId} to finish${ahead}` : 'waiting for the training worker';
  }

  private reap(): void {
    const { runs } = reapAbandoned(this.db, this.options.lease?.staleAfterMs);
    for (const runId of runs) this.emitStatus(runId);
  }

  /** Another process found this one stale and took its runs back: stop training them at once. */
  private lost(): void {
    const queued = this.queue.splice(0);
    this.waiting.clear();
    for (const runId of queued) this.emitStatus(runId);
    if (this.active) void stopMlWorker(this.active.worker);
  }

  private refuseIfHeldElsewhere(run: RunRow, action: 'resume' | 'pause' | 'stop'): void {
    if (run.ownerId === null || run.ownerId === this.owner.id) return;
    const owner = getOwner(this.db, run.ownerId);
    const who = owner ? describeOwner(owner) : 'another process';
    const what = action === 'resume' ? 'Stop it there first, or wait for it to finish' : `${action === 'pause' ? 'Pause' : 'Stop'} it there`;
    throw new StudioError('conflict', `Run ${run.id} is being trained by another process (${who}). ${what}.`, { field: 'runId' });
  }

  private requireActive(runId: number, action: 'pause' | 'stop'): { runId: number; worker: Worker } {
    if (this.active?.runId !== runId) {
      const run = this.get(runId);
      this.refuseIfHeldElsewhere(run, action);
      throw new StudioError('conflict', `Run ${runId} is not training (status: ${run.status})`, { field: 'runId' });
    }
    return this.active;
  }

  private enqueue(runId: number): void {
    this.queue.push(runId);
    // The reason is in place before the first status goes out, so no queued status is without one.
    this.waiting.set(runId, this.queueReason(this.queue.length - 1));
    this.emitStatus(runId);
    this.pump();
    this.explainQueue();
  }

  private emitStatus(runId: number, started?: { backend: string; detail: string }): void {
    const run = this.get(runId);
    const waiting = this.waitingReason(run);
    this.events.emit('run.status', { runId, status: run.status, error: run.error, ...(waiting ? { waiting } : {}), ...started });
  }

  private settle(runId: number, outcome: RunOutcome): void {
    for (const resolve of this.waiters.get(runId) ?? []) resolve(outcome);
    this.waiters.delete(runId);
  }

  private pump(): void {
    if (this.active || this.queue.length === 0) return;
    const runId = this.queue.shift()!;
    const { lease: _lease, ...workerOptions } = this.options;
    const ownerId = this.owner.id;
    const { onCompleted, ...trainOptions } = workerOptions;
    const worker = spawnMlWorker({ kind: 'train', workspace: this.workspace, runId, ownerId, ...trainOptions });
    this.active = { runId, worker };
    const imageSize = this.get(runId).config.imageSize;
    this.wait(runId, 'starting the training worker');
    this.explainQueue();
    let outcome: RunOutcome | null = null;
    worker.on('message', (message: TrainMessage) => {
      if (message.type === 'finished' || message.type === 'failed') outcome = message;
      this.relay(runId, message);
    });
    worker.on('error', (error) => {
      outcome ??= { type: 'failed', error: error.message };
      updateRun(this.db, runId, { status: 'failed', error: error.message, finishedAt: Date.now() }, ownerId);
    });
    worker.on('exit', () => {
      // Killed or crashed mid-run: the last checkpoint is intact, so the run is left resumable.
      outcome ??= { type: 'interrupted' };
      releaseRun(this.db, runId, ownerId);
      this.waiting.delete(runId);
      this.emitStatus(runId);
      this.active = null;
      this.settle(runId, outcome);
      if (outcome.type === 'finished' && outcome.status === 'completed') onCompleted?.(runId);
      this.pump();
      this.explainQueue();
    });
    worker.on('message', (message: TrainMessage) => {
      // Before its first batch a run is still queued: say what it is doing meanwhile.
      if (message.type === 'cache') this.wait(runId, `decoding images at ${imageSize} px (${Math.floor((100 * message.done) / Math.max(1, message.total))} %)`);
      else if (message.type === 'measuring') this.wait(runId, `measuring backends: timing ${message.backend} on this model (${message.done + 1} of ${message.total})`);
      else if (message.type === 'status' && message.status !== 'queued') this.waiting.delete(runId);
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
