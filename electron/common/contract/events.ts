/** Events the main process pushes to every connected renderer. Payloads are plain JSON. */
import type { DatasetChanged, ImportFinished, ImportProgress } from './dataset.js';
import type { BackgroundRetrainStatus } from './labelling.js';
import type { RunBatchEvent, RunEpochEvent, RunEvaluatedEvent, RunMasksEvent, RunStatusEvent } from './runs.js';

export interface JobProgress {
  jobId: string;
  kind: string;
  /** Units done so far and the total when known. */
  done: number;
  total: number | null;
  message: string;
}

export interface StudioEvents {
  /** Another workspace was opened; views reload what they show. */
  'workspace.changed': { path: string; name: string };
  'job.progress': JobProgress;
  'import.progress': ImportProgress;
  'import.finished': ImportFinished;
  /** Images, labels, classes or splits changed: grids and counts reload. */
  'dataset.changed': DatasetChanged;
  /** A run's training progress, a few times a second. */
  'run.batch': RunBatchEvent;
  /** A run finished an epoch: metrics and the validation confusion matrix. */
  'run.epoch': RunEpochEvent;
  /** The attention masks of the run's validation panel after an epoch. */
  'run.masks': RunMasksEvent;
  'run.status': RunStatusEvent;
  /** A run that completed was evaluated on its validation split: the Inspect view has predictions. */
  'run.evaluated': RunEvaluatedEvent;
  /** Background retraining changed: turned on or off, a run started, or new labels counted. */
  'labelling.retrain': BackgroundRetrainStatus;
}
