/** Events the main process pushes to every connected renderer. Payloads are plain JSON. */

export interface JobProgress {
  jobId: string;
  kind: string;
  /** Units done so far and the total when known. */
  done: number;
  total: number | null;
  message: string;
}

export interface StudioEvents {
  'job.progress': JobProgress;
}
