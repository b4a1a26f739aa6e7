/**
 * The "Find label issues" job as the Inspect view shows it: start (with a time budget), progress and an
 * estimate, stop and resume, and the ranked issues of the latest completed job with the out-of-sample
 * accuracy behind them. Jobs live in the workspace's database, so a restarted studio finds them again.
 */
import type { LabelIssueJob, LabelIssueReport } from '../../../electron/common/contract/index.js';
import { call, on } from './api.js';

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

class LabelIssueStore {
  /** The newest job, whatever its state. */
  latest = $state.raw<LabelIssueJob | null>(null);
  report = $state.raw<LabelIssueReport | null>(null);
  progress = $state<{ done: number; total: number | null; message: string } | null>(null);
  error = $state<string | null>(null);
  busy = $state(false);

  constructor() {
    on('job.progress', (p) => {
      if (p.kind !== 'label-issues') return;
      this.progress = { done: p.done, total: p.total, message: p.message };
      // A job's end (or a fold's) changes what is stored: read it again.
      if (p.total !== null && p.done >= p.total) void this.load();
    });
    on('workspace.changed', () => void this.load());
    on('dataset.changed', () => void this.loadReport());
  }

  get running(): boolean {
    return this.latest?.status === 'running' || this.latest?.status === 'queued';
  }

  async load(): Promise<void> {
    try {
      this.latest = (await call('listLabelIssueJobs', {}))[0] ?? null;
      await this.loadReport();
    } catch (error) {
      this.error = message(error);
    }
  }

  async loadReport(): Promise<void> {
    try {
      this.report = await call('labelIssueReport', { limit: 500 });
    } catch (error) {
      this.error = message(error);
    }
  }

  async #act(action: () => Promise<LabelIssueJob>): Promise<void> {
    this.busy = true;
    this.error = null;
    try {
      this.latest = await action();
    } catch (error) {
      this.error = message(error);
    } finally {
      this.busy = false;
    }
  }

  start(maxMinutes: number | undefined): Promise<void> {
    this.progress = null;
    return this.#act(() => call('startLabelIssues', maxMinutes ? { maxMinutes } : {}));
  }

  stop(): Promise<void> {
    const job = this.latest;
    return job ? this.#act(() => call('stopLabelIssues', { jobId: job.id })) : Promise.resolve();
  }

  resume(): Promise<void> {
    const job = this.latest;
    return job ? this.#act(() => call('resumeLabelIssues', { jobId: job.id })) : Promise.resolve();
  }

  /** Relabels the image to the suggested class (an undoable label edit). */
  async accept(imageId: number, className: string): Promise<void> {
    try {
      const counts = await call('classCounts', {});
      const target = counts.classes.find((c) => c.name === className);
      if (!target) throw new Error(`The class "${className}" no longer exists in this workspace`);
      await call('relabelImages', { imageIds: [imageId], classId: target.id });
    } catch (error) {
      this.error = message(error);
    }
  }
}

export const labelIssueStore = new LabelIssueStore();
