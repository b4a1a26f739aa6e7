/** Which view the studio shows, and the run the training/inspect views are about. */
import { workspaceStore } from './workspaceStore.svelte.js';

export type ViewName = 'dataset' | 'train' | 'inspect' | 'try' | 'runs' | 'machine';

class NavStore {
  #chosen = $state<ViewName | null>(null);
  /** Until a tab is chosen: the dataset when a workspace is open, else the machine. */
  readonly view = $derived<ViewName>(this.#chosen ?? (workspaceStore.current ? 'dataset' : 'machine'));
  /** The run the Train, Inspect and Try views show; null for none chosen yet. */
  runId = $state<number | null>(null);

  go(view: ViewName, runId?: number): void {
    this.#chosen = view;
    if (runId !== undefined) this.runId = runId;
  }
}

export const navStore = new NavStore();
