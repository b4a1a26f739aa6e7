/**
 * The Inspect view's state for one run and split: its stored evaluation (or a fresh one, with
 * progress), the images behind the chosen confusion-matrix cell, top losses, the most confused pairs,
 * and the likely-mislabelled queue with accept (relabel to the suggestion) and reject.
 */
import type {
  ConfusedPairRow,
  LabelIssueRow,
  PredictionRow,
  RunEvaluation,
  RunSummary,
} from '../../../electron/common/contract/index.js';
import { call, on } from './api.js';
import { errorMessage } from './format.js';
import { thumbnailUrl } from './thumbnails.js';

export type InspectSplit = 'val' | 'test';

export interface Cell {
  actual: number;
  predicted: number;
}

/** Images shown per cell (the most confident first); the count in the cell says how many there are. */
export const CELL_PAGE = 120;

class InspectStore {
  runId = $state<number | null>(null);
  run = $state.raw<RunSummary | null>(null);
  split = $state<InspectSplit>('val');
  evaluation = $state.raw<RunEvaluation | null>(null);
  /** The run and split being evaluated (they may no longer be the ones shown when it finishes). */
  evaluatingFor = $state.raw<{ runId: number; split: InspectSplit } | null>(null);
  readonly evaluating = $derived(this.evaluatingFor !== null && this.evaluatingFor.runId === this.runId && this.evaluatingFor.split === this.split);
  progress = $state.raw<{ done: number; total: number | null; message: string } | null>(null);
  cell = $state.raw<Cell | null>(null);
  cellRows = $state.raw<PredictionRow[]>([]);
  topLosses = $state.raw<PredictionRow[]>([]);
  pairs = $state.raw<ConfusedPairRow[]>([]);
  issues = $state.raw<LabelIssueRow[]>([]);
  /** Issues the user decided on this session (accepted or rejected), by image id. */
  decided = $state.raw<Map<number, 'accepted' | 'rejected'>>(new Map());
  /** Dataset class ids by name: a run's class indices map to names through run.classNames. */
  classIds = $state.raw<Map<string, number>>(new Map());
  error = $state<string | null>(null);
  loading = $state(false);

  readonly classNames = $derived(this.run?.classNames ?? []);
  readonly openIssues = $derived(this.issues.filter((i) => !this.decided.has(i.imageId)));

  private cellRequest = 0;

  constructor() {
    on('job.progress', (event) => {
      if (this.evaluatingFor && event.jobId === `run-${this.evaluatingFor.runId}-evaluate`) this.progress = event;
    });
    // The studio evaluates a run on its validation split when it completes: shown at once if it is open here.
    on('run.evaluated', (event) => {
      if (event.runId === this.runId && event.split === this.split && !this.evaluation && !this.loading) void this.open(event.runId, event.split);
    });
    on('dataset.changed', () => void this.loadClassIds());
    on('workspace.changed', () => {
      this.runId = null;
      this.run = null;
      this.evaluation = null;
      this.cell = null;
      this.cellRows = [];
      this.topLosses = [];
      this.pairs = [];
      this.issues = [];
    });
  }

  async open(runId: number, split: InspectSplit = this.split): Promise<void> {
    if (this.runId !== runId) {
      // Nothing of the previous run may show under this one while it loads.
      this.run = null;
      this.evaluation = null;
      this.topLosses = [];
      this.pairs = [];
      this.issues = [];
    }
    this.runId = runId;
    this.split = split;
    this.error = null;
    this.loading = true;
    this.cell = null;
    this.cellRows = [];
    this.decided = new Map();
    try {
      const [run, evaluation] = await Promise.all([call('getRun', { runId }), call('storedEvaluation', { runId, split })]);
      if (this.runId !== runId || this.split !== split) return;
      this.run = run;
      this.evaluation = evaluation;
      await Promise.all([this.loadAnalyses(), this.loadClassIds()]);
    } catch (error) {
      this.error = errorMessage(error);
    } finally {
      this.loading = false;
    }
  }

  /**
   * Evaluates the run and split shown. The answer is for that run and split: when the user has moved
   * to another run meanwhile, it is stored (the server keeps it) but not shown under the other run.
   */
  async evaluate(): Promise<void> {
    const runId = this.runId;
    const split = this.split;
    if (runId === null || this.evaluatingFor) return;
    this.evaluatingFor = { runId, split };
    this.progress = null;
    this.error = null;
    try {
      const evaluation = await call('evaluateRun', { runId, split });
      if (this.runId !== runId || this.split !== split) return;
      this.evaluation = evaluation;
      this.cell = null;
      this.cellRows = [];
      this.decided = new Map();
      await this.loadAnalyses();
    } catch (error) {
      if (this.runId === runId && this.split === split) this.error = errorMessage(error);
    } finally {
      this.evaluatingFor = null;
      this.progress = null;
    }
  }

  private async loadAnalyses(): Promise<void> {
    const runId = this.runId;
    if (runId === null || !this.evaluation) {
      this.topLosses = [];
      this.pairs = [];
      this.issues = [];
      return;
    }
    const split = this.split;
    const [topLosses, pairs, issues] = await Promise.all([
      call('topLosses', { runId, split, limit: 60 }),
      call('confusedPairs', { runId, split, limit: 12 }),
      call('labelIssues', { runId, split, limit: 200 }),
    ]);
    if (this.runId !== runId || this.split !== split) return;
    this.topLosses = topLosses;
    this.pairs = pairs;
    this.issues = issues;
  }

  private async loadClassIds(): Promise<void> {
    try {
      const counts = await call('classCounts', {});
      this.classIds = new Map(counts.classes.map((c) => [c.name, c.id]));
    } catch {
      // the workspace is gone or closing: accept stays disabled
    }
  }

  async openCell(cell: Cell): Promise<void> {
    const runId = this.runId;
    if (runId === null) return;
    const request = ++this.cellRequest;
    this.cell = cell;
    try {
      const rows = await call('cellImages', { runId, split: this.split, actual: cell.actual, predicted: cell.predicted, limit: CELL_PAGE });
      // Fetch the page's thumbnails (one batched call) before showing it: the cell's images then
      // appear in one render instead of placeholders first, which also keeps the main thread free
      // while the thumbnails are on their way.
      await Promise.all(rows.map((row) => thumbnailUrl(row.imageId)));
      if (request === this.cellRequest) this.cellRows = rows;
    } catch (error) {
      if (request === this.cellRequest) this.error = errorMessage(error);
    }
  }

  /** The workspace class id for a run class index, when that class still exists by name. */
  classIdOf(index: number): number | null {
    const name = this.classNames[index];
    return name === undefined ? null : (this.classIds.get(name) ?? null);
  }

  async accept(issue: LabelIssueRow): Promise<void> {
    const classId = this.classIdOf(issue.suggested);
    if (classId === null) {
      this.error = `The class "${this.classNames[issue.suggested]}" no longer exists in this workspace; relabel the image in the inspector`;
      return;
    }
    try {
      await call('relabelImages', { imageIds: [issue.imageId], classId });
      this.decided = new Map(this.decided).set(issue.imageId, 'accepted');
    } catch (error) {
      this.error = errorMessage(error);
    }
  }

  reject(issue: LabelIssueRow): void {
    this.decided = new Map(this.decided).set(issue.imageId, 'rejected');
  }
}

export const inspectStore = new InspectStore();
