/**
 * The entry of the studio's ML worker threads. A training worker runs one run and exits; an inference
 * worker serves evaluate / masks / predict / export requests until it is terminated. Heavy tfjs work
 * never runs on the main process's event loop, so the UI stays responsive.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { chooseBackend, initBackend, isBackendName, probeBackends, type BackendName } from '../../../ml/engine/backends.js';
import { setDawnGate } from '../../../ml/engine/webgpu.js';
import { measureTrainingSpeed } from '../../../ml/engine/measure.js';
import { StudioError } from '../../common/errors.js';
import { openWorkspaceDb } from '../storage/db.js';
import { exportRunModel } from '../modelExport/exportRun.js';
import { evaluateRun, imageMasks, predictFiles, RunModels, tryImages, tryMasks } from './inferenceTasks.js';
import type { InferenceMessage, InferenceRequest, MeasureMessage, TrainControl, WorkerData } from './protocol.js';
import { runTraining } from './trainTask.js';
import { claimDawn, STOP_FLAG_INDEX } from './workerHost.js';
import { suggestUnlabelled } from '../labelling/suggestTask.js';
import { runLabelIssuesJob } from '../labelling/labelIssuesTask.js';

const port = parentPort;
if (!port) throw new Error('worker.ts must run as a worker thread');
const data = workerData as WorkerData;
// The host's request to leave (workerHost.ts stopMlWorker): exit from JavaScript, never from inside a
// native call. A busy worker sees the shared flag before its next kernel; an idle one gets the message
// (a worker's port delivers only once its listener is attached, so each kind checks in its own).
const stopFlag = new Int32Array((workerData as { stopFlag: SharedArrayBuffer }).stopFlag);
const engine = tf.engine();
const runKernel = engine.runKernel.bind(engine);
engine.runKernel = ((...args: Parameters<typeof runKernel>) => {
  if (Atomics.load(stopFlag, STOP_FLAG_INDEX) !== 0) process.exit(0);
  return runKernel(...args);
}) as typeof engine.runKernel;
// Dawn is loaded only while the host has not begun to terminate this worker (workerHost.ts claimDawn).
setDawnGate(() => claimDawn(stopFlag));
/** Each kind's own message listener calls this first (one listener, so no message reaches a worker before it listens). */
function leaveIfAsked(message: { type?: unknown }): void {
  if (message && message.type === 'shutdown') process.exit(0);
}

if (data.kind === 'measure') {
  port.on('message', leaveIfAsked);
  try {
    const backend = await initBackend(data.backend as BackendName, data.threads ? { threads: data.threads } : {});
    const result = await measureTrainingSpeed(data.probe);
    port.postMessage({ type: 'measured', result, detail: backend.detail } satisfies MeasureMessage);
  } catch (error) {
    port.postMessage({ type: 'failed', error: error instanceof Error ? error.message : String(error) } satisfies MeasureMessage);
  }
  process.exit(0);
} else if (data.kind === 'train') {
  const handlers: ((message: TrainControl) => void)[] = [];
  port.on('message', (message: TrainControl) => {
    leaveIfAsked(message);
    handlers.forEach((handler) => handler(message));
  });
  await runTraining(data, (message) => port.postMessage(message), { onControl: (handler) => handlers.push(handler) });
  process.exit(0);
} else if (data.kind === 'labelIssues') {
  let stopRequested = false;
  port.on('message', (message: TrainControl) => {
    leaveIfAsked(message);
    if (message.type === 'stop') stopRequested = true;
  });
  await runLabelIssuesJob(data, (message) => port.postMessage(message), () => stopRequested);
  process.exit(0);
} else {
  const requested = data.backend && isBackendName(data.backend) ? data.backend : chooseBackend(await probeBackends()).name;
  if (!requested) throw new Error('No tfjs backend can run here');
  const backend = await initBackend(requested, data.threads ? { threads: data.threads } : {});
  const db = openWorkspaceDb(data.workspace);
  const models = new RunModels(db, data.workspace, { backend: backend.name, threads: backend.threads });
  // One request at a time: tfjs work is synchronous anyway, and order keeps results predictable.
  let queue = Promise.resolve();
  port.on('message', (request: InferenceRequest | { type: 'shutdown' }) => {
    if ('type' in request) return leaveIfAsked(request);
    queue = queue.then(async () => {
      const reply = (message: InferenceMessage) => port.postMessage(message);
      try {
        const progress = (done: number, total: number) => reply({ id: request.id, progress: { done, total } });
        const result =
          request.task === 'evaluate'
            ? await evaluateRun(db, models, request.runId, request.split, progress)
            : request.task === 'masks'
              ? await imageMasks(db, models, request.runId, request.imageId)
              : request.task === 'predictFiles'
                ? await predictFiles(models, request.runId, request.files)
                : request.task === 'tryImages'
                  ? await tryImages(models, request.runId, request.images)
                  : request.task === 'tryMasks'
                    ? await tryMasks(models, request.runId, request.image, request.maxSide)
                    : request.task === 'suggest'
                      ? await suggestUnlabelled(db, models, request.runId, progress)
                      : await exportRunModel(db, models, request.runId, request.folder, request.format, progress);
        reply({ id: request.id, ok: true, result });
      } catch (error) {
        const code = error instanceof StudioError ? error.code : 'internal';
        const field = error instanceof StudioError && error.field !== undefined ? { field: error.field } : {};
        reply({ id: request.id, ok: false, error: { code, message: error instanceof Error ? error.message : String(error), ...field } });
      }
    });
  });
}
