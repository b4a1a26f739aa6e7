/**
 * The dataset's classes and counts, label history, split settings and the labelling actions. Every
 * action is one contract call; the grid and the counts reload from the `dataset.changed` event it causes,
 * so a second window (or the CLI) editing the same workspace shows up here too.
 */
import type {
  ClassCount,
  ClassCounts,
  ImportRecord,
  ImportReport,
  LabelHistory,
  LabelState,
  RunSummary,
  SplitName,
  SplitSettings,
} from '../../../electron/common/contract/index.js';
import { call, on } from './api.js';

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const plural = (n: number, word: string) => `${n.toLocaleString()} ${word}${n === 1 ? '' : 's'}`;

class DatasetStore {
  counts = $state.raw<ClassCounts | null>(null);
  history = $state.raw<LabelHistory | null>(null);
  splits = $state.raw<SplitSettings | null>(null);
  /** Runs with predictions to filter by (completed or stopped ones). */
  runs = $state.raw<RunSummary[]>([]);
  /** Every import into the workspace, newest first. */
  imports = $state.raw<ImportRecord[]>([]);
  /** A past import's report reopened from the imports list. */
  reopened = $state.raw<{ record: ImportRecord; report: ImportReport | null } | null>(null);
  /** The last failed action, as the contract said it. */
  error = $state<string | null>(null);
  /** What the last action did, for the status line. */
  status = $state<string | null>(null);
  busy = $state(false);

  /** In the list's order (by name). */
  readonly classes = $derived(this.counts?.classes ?? []);
  /**
   * The order of the number keys: key n is keyed[n - 1]. Classes in the order they were created, so a
   * class keeps its key when another is added, whatever its name.
   */
  readonly keyed = $derived<ClassCount[]>([...this.classes].sort((a, b) => a.id - b.id));
  /** class id -> its number key (1..9); classes past the ninth have none. */
  readonly keys = $derived(new Map(this.keyed.slice(0, 9).map((c, i) => [c.id, i + 1])));

  constructor() {
    on('dataset.changed', () => void this.load());
    on('workspace.changed', () => void this.load());
  }

  async load(): Promise<void> {
    try {
      const [counts, history, splits, imports] = await Promise.all([
        call('classCounts', {}),
        call('labelHistory', { limit: 30 }),
        call('getSplitSettings', {}),
        call('listImports', {}),
      ]);
      this.counts = counts;
      this.history = history;
      this.splits = splits;
      this.imports = imports;
    } catch (error) {
      this.error = message(error);
    }
    // The prediction filter is optional: a failure to list runs leaves it empty, not the dataset broken.
    try {
      const runs = await call('listRuns', {});
      this.runs = runs.filter((run) => run.status === 'completed' || run.status === 'stopped');
    } catch {
      this.runs = [];
    }
  }

  dismissError(): void {
    this.error = null;
  }

  /** Runs one contract call; a failure lands in `error` (shown as an alert) and returns null. */
  async #act<T>(describe: (result: T) => string, action: () => Promise<T>): Promise<T | null> {
    this.busy = true;
    this.error = null;
    try {
      const result = await action();
      this.status = describe(result);
      return result;
    } catch (error) {
      this.error = message(error);
      return null;
    } finally {
      this.busy = false;
    }
  }

  className(classId: number | null): string {
    return classId === null ? 'unlabelled' : (this.classes.find((c) => c.id === classId)?.name ?? `class ${classId}`);
  }

  relabel(imageIds: number[], classId: number | null) {
    if (imageIds.length === 0) return Promise.resolve(null);
    return this.#act(
      (r) => `${plural(r.changed, 'image')} moved to ${this.className(classId)}`,
      () => call('relabelImages', { imageIds, classId }),
    );
  }

  setState(imageIds: number[], state: LabelState) {
    if (imageIds.length === 0) return Promise.resolve(null);
    return this.#act(
      (r) => `${plural(r.changed, 'image')} marked ${state}`,
      () => call('setLabelState', { imageIds, state }),
    );
  }

  /** Assigns a class by name, creating it first when there is none of that name. */
  async relabelByName(imageIds: number[], name: string) {
    const wanted = name.trim();
    const existing = this.classes.find((c) => c.name.toLowerCase() === wanted.toLowerCase());
    if (existing) return this.relabel(imageIds, existing.id);
    const created = await this.addClass(wanted);
    return created ? this.relabel(imageIds, created.id) : null;
  }

  addClass(name: string) {
    return this.#act((c) => `Class ${c.name} added`, () => call('addClass', { name }));
  }

  renameClass(classId: number, name: string) {
    return this.#act((c) => `Renamed to ${c.name}`, () => call('renameClass', { classId, name }));
  }

  mergeClasses(sourceIds: number[], targetId: number) {
    return this.#act((c) => `Merged into ${c.name} (${plural(c.total, 'image')})`, () => call('mergeClasses', { sourceIds, targetId }));
  }

  deleteClass(classId: number) {
    const name = this.className(classId);
    return this.#act(
      (r) => `Class ${name} deleted; ${plural(r.unlabelled, 'image')} now unlabelled`,
      () => call('deleteClass', { classId }),
    );
  }

  /** Puts images in a split by hand (pinned there), or with null back under the ratios; undoable. */
  moveToSplit(imageIds: number[], split: SplitName | null) {
    if (imageIds.length === 0) return Promise.resolve(null);
    const where = split === null ? 'back under the split ratios' : `to ${split === 'val' ? 'validation' : split}`;
    return this.#act((r) => `${plural(r.changed, 'image')} moved ${where}`, () => call('moveToSplit', { imageIds, split }));
  }

  /** Opens a past import's report (kept with its record). */
  async openImportReport(importId: number) {
    const found = await this.#act((r) => `Report of import ${r.record.id}`, () => call('importReport', { importId }));
    if (found) this.reopened = found;
  }

  undo() {
    return this.#act((r) => (r.edit ? `Undid: ${r.edit.summary}` : 'Nothing to undo'), () => call('undoLabelEdit', {}));
  }

  redo() {
    return this.#act((r) => (r.edit ? `Redid: ${r.edit.summary}` : 'Nothing to redo'), () => call('redoLabelEdit', {}));
  }

  async setSplitRatios(train: number, val: number, test: number, seed?: number) {
    const result = await this.#act(
      (r) => `Splits set to ${Math.round(r.train * 100)}/${Math.round(r.val * 100)}/${Math.round(r.test * 100)}; ${plural(r.moved, 'image')} moved`,
      () => call('setSplitRatios', { train, val, test, ...(seed !== undefined ? { seed } : {}) }),
    );
    if (result) this.splits = result;
    return result;
  }

  async lockTestSplit(locked: boolean) {
    const result = await this.#act(
      (r) => (r.testLocked ? 'Test split locked' : 'Test split unlocked'),
      () => call('lockTestSplit', { locked }),
    );
    if (result) this.splits = result;
    return result;
  }
}

export const datasetStore = new DatasetStore();
