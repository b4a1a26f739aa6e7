/** What the shell shows about the running studio: versions, backends, and the last error. */
import type { AppInfo } from '../../../electron/common/contract/index.js';
import { call, transport } from './api.js';

class AppStore {
  info = $state<AppInfo | null>(null);
  error = $state<string | null>(null);
  loading = $state(false);
  readonly transport = transport;

  async load(): Promise<void> {
    this.loading = true;
    this.error = null;
    try {
      this.info = await call('info', {});
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
    } finally {
      this.loading = false;
    }
  }
}

export const appStore = new AppStore();
