/** Pure helpers of the model export dialog (unit-tested without a page). */
import type { ModelExportCheck } from '../../../electron/common/contract/index.js';

/** Where an export goes unless the user says otherwise: the server's default, shown in the workspace's own separator. */
export function defaultExportFolder(workspacePath: string | null | undefined, runId: number): string {
  if (!workspacePath) return '';
  const separator = workspacePath.includes('\\') && !workspacePath.includes('/') ? '\\' : '/';
  const base = workspacePath.endsWith(separator) ? workspacePath.slice(0, -1) : workspacePath;
  return [base, 'exports', `run-${runId}`].join(separator);
}

/** "model.onnx in onnxruntime-node 1.30.0 (CPU): 100 of 100 predictions equal, within 3.1e-7". */
export function describeExportCheck(check: ModelExportCheck): string {
  const file = check.format === 'tfjs' ? 'model.json' : 'model.onnx';
  return `${file} in ${check.runtime}: ${check.samePredictions} of ${check.images} predictions equal, probabilities within ${check.maxProbabilityDifference.toExponential(1)}`;
}
