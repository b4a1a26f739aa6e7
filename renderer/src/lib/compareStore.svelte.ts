/**
 * Comparing two runs: both runs' epochs (for curves side by side) and the per-image regression diff on
 * a split where both have stored predictions, with evaluation of whichever lacks them.
 */
import type { RegressionRow, RunDetail } from '../../../electron/common/contract/index.js';
import { call } from './api.js';
import { errorMessage } from './format.js';

class CompareStore {
  /** Run ids in the order picked: A is the baseline, B the candidate. */
  picked = $state.raw<number[]>([]);
  a = $state.raw<RunDetail | null>(null);
  b = $state.raw<RunDetail | null>(null);
  split = $state<'val' | 'test'>('val');
  diff = $state.raw<RegressionRow[] | null>(null);
  /** Why there is no diff (a run lacks predictions), in words. */
  diffNote = $state<string | null>(null);
  evaluating = $state(false);
  error = $state<string | null>(null);

  toggle(runId: number): void {
    const picked = this.picked.includes(runId) ? this.picked.filter((id) => id !== runId) : [...this.picked, runId].slice(-2);
    this.picked = picked;
    void this.load();
  }

  async load(): Promise<void> {
    this.error = null;
    this.diff = null;
    this.diffNote = null;
    if (this.picked.length < 2) {
      this.a = null;
      this.b = null;
      return;
    }
    const [idA, idB] = this.picked as [number, number];
    try {
      const [a, b] = await Promise.all([call('getRun', { runId: idA }), call('getRun', { runId: idB })]);
      this.a = a;
      this.b = b;
      await this.loadDiff();
    } catch (error) {
      this.error = errorMessage(error);
    }
  }

  async loadDiff(): Promise<void> {
    const { a, b } = this;
    if (!a || !b) return;
    const [ea, eb] = await Promise.all([call('storedEvaluation', { runId: a.id, split: this.split }), call('storedEvaluation', { runId: b.id, split: this.split })]);
    const missing = [ea ? null : a, eb ? null : b].filter((r) => r !== null);
    if (missing.length > 0) {
      this.diff = null;
      this.diffNote = `${missing.map((r) => `#${r.id}`).join(' and ')} ${missing.length > 1 ? 'have' : 'has'} no predictions on the ${this.split} split yet.`;
      return;
    }
    this.diffNote = null;
    this.diff = await call('regressionDiff', { runA: a.id, runB: b.id, split: this.split });
  }

  async evaluateMissing(): Promise<void> {
    const { a, b } = this;
    if (!a || !b) return;
    this.evaluating = true;
    this.error = null;
    try {
      for (const run of [a, b]) {
        if (!(await call('storedEvaluation', { runId: run.id, split: this.split }))) await call('evaluateRun', { runId: run.id, split: this.split });
      }
      await this.loadDiff();
    } catch (error) {
      this.error = errorMessage(error);
    } finally {
      this.evaluating = false;
    }
  }
}

export const compareStore = new CompareStore();
