/**
 * One folder import at a time: start, live progress from `import.progress`, cancel, and the final
 * report from `import.finished`. Events of a job can arrive before `importFolder` has answered with its
 * id (a small folder finishes fast), so the latest ones per job are kept and picked up afterwards.
 */
import type { ImportFinished, ImportProgress, SplitName } from '../../../electron/common/contract/index.js';
import { call, on } from './api.js';

const KEEP_JOBS = 8;

function remember<T>(map: Map<string, T>, jobId: string, value: T): void {
  map.delete(jobId);
  map.set(jobId, value);
  if (map.size > KEEP_JOBS) map.delete(map.keys().next().value!);
}

class DatasetImport {
  folder = $state('');
  /** Where the folder's images go: a chosen split (pinned there), or 'ratios' to spread them. */
  split = $state<SplitName | 'ratios'>('ratios');
  jobId = $state<string | null>(null);
  progress = $state.raw<ImportProgress | null>(null);
  finished = $state.raw<ImportFinished | null>(null);
  error = $state<string | null>(null);
  starting = $state(false);
  /** Images of the finished import excluded again from its report (null until asked). */
  excluded = $state<number | null>(null);
  excluding = $state(false);
  /** Said when a folder is dropped where its path cannot be known (browser mode). */
  dropNote = $state<string | null>(null);

  readonly running = $derived(this.starting || (this.jobId !== null && this.finished === null));

  #progressByJob = new Map<string, ImportProgress>();
  #finishedByJob = new Map<string, ImportFinished>();

  constructor() {
    on('import.progress', (progress) => {
      remember(this.#progressByJob, progress.jobId, progress);
      if (progress.jobId === this.jobId && !this.finished) this.progress = progress;
    });
    on('import.finished', (finished) => {
      remember(this.#finishedByJob, finished.jobId, finished);
      if (finished.jobId === this.jobId) this.#finish(finished);
    });
  }

  async start(folder: string): Promise<void> {
    this.folder = folder;
    this.error = null;
    this.dropNote = null;
    this.progress = null;
    this.finished = null;
    this.excluded = null;
    this.jobId = null;
    this.starting = true;
    try {
      const split = this.split === 'ratios' ? {} : { split: this.split };
      const { jobId } = await call('importFolder', { folder: folder.trim(), ...split });
      this.jobId = jobId;
      this.progress = this.#progressByJob.get(jobId) ?? null;
      const done = this.#finishedByJob.get(jobId);
      if (done) this.#finish(done);
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
    } finally {
      this.starting = false;
    }
  }

  async cancel(): Promise<void> {
    if (!this.jobId) return;
    try {
      await call('cancelImport', { jobId: this.jobId });
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
    }
  }

  /**
   * Excludes every image the finished import brought in, as one label edit the dataset view's Undo
   * (Ctrl+Z) reverts.
   */
  async excludeImported(): Promise<void> {
    const report = this.finished?.report;
    if (!report || this.excluding) return;
    this.excluding = true;
    this.error = null;
    try {
      const { changed } = await call('excludeImport', { importId: report.importId });
      this.excluded = changed;
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
    } finally {
      this.excluding = false;
    }
  }

  /** Back to an empty form (after the report has been read); the next folder is spread by the ratios again. */
  reset(): void {
    if (this.running) return;
    this.split = 'ratios';
    this.excluded = null;
    this.jobId = null;
    this.progress = null;
    this.finished = null;
    this.error = null;
  }

  #finish(finished: ImportFinished): void {
    this.finished = finished;
    if (finished.error) this.error = finished.error;
    const last = this.#progressByJob.get(finished.jobId);
    if (last) this.progress = last;
  }
}

export const datasetImport = new DatasetImport();
