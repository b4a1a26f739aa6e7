/** Which view the studio shows, and the run the training/inspect views are about. */
export type ViewName = 'dataset' | 'train' | 'inspect' | 'runs' | 'machine';

class NavStore {
  view = $state<ViewName>('machine');
  /** The run the Train and Inspect views show; null for none chosen yet. */
  runId = $state<number | null>(null);

  go(view: ViewName, runId?: number): void {
    this.view = view;
    if (runId !== undefined) this.runId = runId;
  }
}

export const navStore = new NavStore();
