/** Where a run's files live inside its workspace: `runs/<id>/` (checkpoints, exports). */
import path from 'node:path';

export function runDir(workspace: string, runId: number): string {
  return path.join(workspace, 'runs', String(runId));
}

export function checkpointRoot(workspace: string, runId: number): string {
  return path.join(runDir(workspace, runId), 'checkpoints');
}
