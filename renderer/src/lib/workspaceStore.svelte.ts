/** The open workspace and the recent ones; every view reads the current workspace from here. */
import type { RecentWorkspace, WorkspaceInfo } from '../../../electron/common/contract/index.js';
import { call, on } from './api.js';

class WorkspaceStore {
  current = $state<WorkspaceInfo | null>(null);
  recent = $state<RecentWorkspace[]>([]);
  error = $state<string | null>(null);
  busy = $state(false);

  constructor() {
    on('workspace.changed', (workspace) => {
      this.current = workspace;
    });
  }

  async load(): Promise<void> {
    try {
      [this.current, this.recent] = await Promise.all([call('currentWorkspace', {}), call('recentWorkspaces', {})]);
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
    }
  }

  /** Returns true when the folder was opened; otherwise `error` says why. */
  async open(path: string, create: boolean): Promise<boolean> {
    this.busy = true;
    this.error = null;
    try {
      this.current = await call('openWorkspace', { path, create });
      this.recent = await call('recentWorkspaces', {});
      return true;
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
      return false;
    } finally {
      this.busy = false;
    }
  }
}

export const workspaceStore = new WorkspaceStore();
