/**
 * The Machine view's doctor: measures every available backend on one model, image size and batch (each
 * in a worker of the studio's), and keeps the report. The figures also fill the studio's speed cache,
 * so a run with the same settings starts on the fastest backend without measuring again.
 */
import type { DoctorReport } from '../../../electron/common/contract/index.js';
import { call, on } from './api.js';
import { errorMessage } from './format.js';

class MachineStore {
  model = $state('lite-32');
  imageSize = $state(32);
  batchSize = $state(64);
  report = $state.raw<DoctorReport | null>(null);
  measuring = $state(false);
  progress = $state<string | null>(null);
  error = $state<string | null>(null);
  private listening = false;

  async measure(): Promise<void> {
    if (!this.listening) {
      this.listening = true;
      on('job.progress', (event) => {
        if (event.jobId === 'doctor' && this.measuring) this.progress = `${event.message} (${event.done + 1} of ${event.total})`;
      });
    }
    this.measuring = true;
    this.error = null;
    this.progress = 'Starting…';
    try {
      this.report = await call('doctor', { model: this.model, imageSize: this.imageSize, batchSize: this.batchSize });
    } catch (error) {
      this.error = errorMessage(error);
    } finally {
      this.measuring = false;
      this.progress = null;
    }
  }
}

export const machineStore = new MachineStore();
