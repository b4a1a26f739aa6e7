/**
 * The model export dialog's state: which run, where to, which formats, the export's progress (the
 * server's job.progress events for `run-<id>-export`) and its report, which says where it went.
 */
import type { ModelExportFormat, ModelExportReport } from '../../../electron/common/contract/index.js';
import { call, on } from './api.js';
import { errorMessage } from './format.js';
import { defaultExportFolder } from './modelExport.js';
import { workspaceStore } from './workspaceStore.svelte.js';

class ModelExportStore {
  runId = $state<number | null>(null);
  folder = $state('');
  format = $state<ModelExportFormat>('both');
  busy = $state(false);
  progress = $state<{ done: number; total: number | null } | null>(null);
  report = $state.raw<ModelExportReport | null>(null);
  error = $state<string | null>(null);

  constructor() {
    on('job.progress', (event) => {
      if (this.busy && event.jobId === `run-${this.runId}-export`) this.progress = { done: event.done, total: event.total };
    });
  }

  open(runId: number): void {
    if (this.busy) return;
    this.runId = runId;
    this.folder = defaultExportFolder(workspaceStore.current?.path, runId);
    this.report = null;
    this.error = null;
    this.progress = null;
  }

  close(): void {
    if (!this.busy) this.runId = null;
  }

  async start(): Promise<void> {
    const runId = this.runId;
    if (runId === null || this.busy) return;
    this.busy = true;
    this.error = null;
    this.report = null;
    this.progress = null;
    try {
      const folder = this.folder.trim();
      this.report = await call('exportModel', { runId, format: this.format, ...(folder ? { folder } : {}) });
    } catch (error) {
      this.error = errorMessage(error);
    } finally {
      this.busy = false;
    }
  }
}

export const modelExportStore = new ModelExportStore();
