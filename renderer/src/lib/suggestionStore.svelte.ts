/**
 * The model's suggestions for unlabelled images (from the latest run that predicted them, or one
 * asked for on demand), the "Label next" screen, and confirming suggestions: one image by key, or every
 * one above a confidence in one undoable edit. Reloads whenever labels change.
 */
import type { BackgroundRetrainStatus, LabelSuggestion } from '../../../electron/common/contract/index.js';
import { call, on } from './api.js';

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

class SuggestionStore {
  runId = $state<number | null>(null);
  byImage = $state.raw<ReadonlyMap<number, LabelSuggestion>>(new Map());
  /** The next screen of unlabelled images to label, most useful first. */
  next = $state.raw<LabelSuggestion[]>([]);
  busy = $state(false);
  error = $state<string | null>(null);
  status = $state<string | null>(null);
  /** Background retraining as labels arrive: on or off, and what it is doing. */
  retrain = $state.raw<BackgroundRetrainStatus | null>(null);
  #loading = 0;

  constructor() {
    on('dataset.changed', () => void this.load());
    on('workspace.changed', () => void this.load());
    on('labelling.retrain', (status) => (this.retrain = status));
  }

  get count(): number {
    return this.byImage.size;
  }

  async load(): Promise<void> {
    const request = ++this.#loading;
    try {
      const [all, next, retrain] = await Promise.all([
        call('labelSuggestions', {}), call('labelNext', { limit: 12, screenSize: 12 }), call('backgroundRetrain', {}),
      ]);
      if (request !== this.#loading) return;
      this.retrain = retrain;
      this.runId = all.runId;
      this.byImage = new Map(all.suggestions.map((s) => [s.imageId, s]));
      this.next = next.suggestions;
    } catch (error) {
      if (request === this.#loading) this.error = message(error);
    }
  }

  async setRetrain(enabled: boolean, everyLabels: number): Promise<void> {
    this.error = null;
    try {
      this.retrain = await call('setBackgroundRetrain', { enabled, everyLabels });
    } catch (error) {
      this.error = message(error);
    }
  }

  async suggest(runId: number): Promise<void> {
    this.busy = true;
    this.error = null;
    try {
      const result = await call('suggestLabels', { runId });
      this.status = `Run ${runId} suggested labels for ${result.images.toLocaleString()} unlabelled image${result.images === 1 ? '' : 's'}`;
      await this.load();
    } catch (error) {
      this.error = message(error);
    } finally {
      this.busy = false;
    }
  }

  /** Confirms the suggestions of these images (those that have one). */
  async confirm(imageIds: number[]): Promise<void> {
    const runId = this.runId;
    const withSuggestion = imageIds.filter((id) => this.byImage.has(id));
    if (runId === null || withSuggestion.length === 0) {
      this.error = 'No suggestion for this image: suggest labels with a run first';
      return;
    }
    await this.#confirm({ runId, imageIds: withSuggestion });
  }

  async confirmAbove(minConfidence: number): Promise<void> {
    if (this.runId === null) return;
    await this.#confirm({ runId: this.runId, minConfidence });
  }

  async #confirm(args: { runId: number; imageIds?: number[]; minConfidence?: number }): Promise<void> {
    this.busy = true;
    this.error = null;
    try {
      const { changed } = await call('confirmSuggestions', args);
      this.status = `Confirmed ${changed.toLocaleString()} suggestion${changed === 1 ? '' : 's'} (Ctrl+Z undoes)`;
    } catch (error) {
      this.error = message(error);
    } finally {
      this.busy = false;
    }
  }
}

export const suggestionStore = new SuggestionStore();
