/**
 * Runs as the Training and Runs views see them: the list, the open run with its epochs, and what the
 * training worker streams for it (batch points for the curves, the latest mask frames). Events for
 * other runs only refresh the list.
 */
import type { RunBatchEvent, RunDetail, RunMasksEvent, RunStatus, RunSummary } from '../../../electron/common/contract/index.js';
import { call, on } from './api.js';
import { errorMessage } from './format.js';

export interface BatchPoint {
  /** Fractional epoch: 1.5 is half-way through the second epoch. */
  x: number;
  loss: number;
  accuracy: number;
}

export const activeStatuses: readonly RunStatus[] = ['queued', 'running', 'paused'];

class RunStore {
  runs = $state.raw<RunSummary[]>([]);
  /** The open run (navStore.runId), with its stored epochs and the ones streamed since. */
  current = $state.raw<RunDetail | null>(null);
  batchPoints = $state.raw<BatchPoint[]>([]);
  lastBatch = $state.raw<RunBatchEvent | null>(null);
  masks = $state.raw<RunMasksEvent | null>(null);
  error = $state<string | null>(null);
  busy = $state(false);

  constructor() {
    on('run.batch', (event) => {
      if (event.runId !== this.current?.id) return;
      this.lastBatch = event;
      this.batchPoints = [...this.batchPoints, { x: event.epoch - 1 + event.batch / event.batchesPerEpoch, loss: event.loss, accuracy: event.accuracy }];
    });
    on('run.epoch', (event) => {
      const run = this.current;
      if (event.runId !== run?.id) return;
      const { runId: _runId, epochs: _epochs, ...metrics } = event;
      const epochs = [...run.epochs.filter((e) => e.epoch !== metrics.epoch), metrics].sort((a, b) => a.epoch - b.epoch);
      this.current = { ...run, epochs, epochsDone: Math.max(run.epochsDone, metrics.epoch), valAccuracy: metrics.valAccuracy };
    });
    on('run.masks', (event) => {
      if (event.runId === this.current?.id) this.masks = event;
    });
    on('run.status', (event) => {
      if (event.runId === this.current?.id) this.current = { ...this.current, status: event.status, error: event.error, waiting: event.waiting ?? null };
      void this.loadList();
    });
    on('workspace.changed', () => {
      this.current = null;
      this.batchPoints = [];
      this.lastBatch = null;
      this.masks = null;
      void this.loadList();
    });
  }

  async loadList(): Promise<void> {
    try {
      this.runs = await call('listRuns', {});
      const listed = this.runs.find((r) => r.id === this.current?.id);
      // Status and backend come with the list; epochs stay as streamed.
      if (listed && this.current) this.current = { ...this.current, ...listed, epochs: this.current.epochs };
    } catch (error) {
      this.error = errorMessage(error);
    }
  }

  private opening = 0;

  /** Opens a run: its stored epochs and latest masks; live events fill in from here. */
  async open(runId: number): Promise<void> {
    if (this.current?.id === runId) return;
    // Only the last run asked for is shown, whichever answer comes back first.
    const request = ++this.opening;
    this.error = null;
    this.batchPoints = [];
    this.lastBatch = null;
    this.masks = null;
    try {
      const [detail, masks] = await Promise.all([call('getRun', { runId }), call('latestMasks', { runId })]);
      if (request !== this.opening) return;
      this.current = detail;
      this.masks = masks;
    } catch (error) {
      if (request !== this.opening) return;
      this.current = null;
      this.error = errorMessage(error);
    }
  }

  /** Shows a run just created, before any event about it arrives. */
  adopt(run: RunSummary): void {
    this.opening++;
    this.current = { ...run, epochs: [] };
    this.batchPoints = [];
    this.lastBatch = null;
    this.masks = null;
    void this.loadList();
  }

  async control(action: 'pauseRun' | 'resumeRun' | 'stopRun'): Promise<void> {
    const run = this.current;
    if (!run) return;
    this.busy = true;
    this.error = null;
    try {
      const summary = await call(action, { runId: run.id });
      if (this.current?.id === summary.id) this.current = { ...this.current, ...summary, epochs: this.current.epochs };
    } catch (error) {
      this.error = errorMessage(error);
    } finally {
      this.busy = false;
    }
  }
}

export const runStore = new RunStore();
