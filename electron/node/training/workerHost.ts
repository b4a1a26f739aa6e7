/**
 * Starts the studio's ML worker threads (from the built JavaScript, or from the TypeScript source
 * through tsx in tests and scripts) and stops them safely.
 *
 * A worker must not be terminated from outside while it is inside a native call: Dawn's Node
 * bindings (the `webgpu` backend) then throw into a thread that is shutting down, and the whole
 * process dies with a fatal napi error (a process that exits terminates its workers the same way).
 * So a worker is first asked to leave: a flag in shared memory, which the worker checks before every
 * tfjs kernel (worker.ts), and a `shutdown` message for a worker waiting on its event loop. It exits
 * itself from JavaScript, between two kernels; it is terminated only if it has not within the grace
 * period.
 */
import { Worker } from 'node:worker_threads';
import type { WorkerData } from './protocol.js';

/** The message every ML worker answers by exiting at once. */
export const SHUTDOWN = { type: 'shutdown' } as const;

const live = new Set<Worker>();
const stopFlags = new WeakMap<Worker, Int32Array>();

/** The shared flag's index: 0 while the worker may run, 1 once it is asked to leave. */
export const STOP_FLAG_INDEX = 0;

export function spawnMlWorker(data: WorkerData): Worker {
  const stopFlag = new SharedArrayBuffer(4);
  const workerData = { ...data, stopFlag };
  let worker: Worker;
  if (!import.meta.url.endsWith('.ts')) {
    worker = new Worker(new URL('./worker.js', import.meta.url), { workerData });
  } else {
    // From source: register tsx's loader inside the worker before importing the TypeScript entry.
    const entry = new URL('./worker.ts', import.meta.url).href;
    const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
    worker = new Worker(bootstrap, { eval: true, workerData });
  }
  stopFlags.set(worker, new Int32Array(stopFlag));
  live.add(worker);
  worker.once('exit', () => live.delete(worker));
  return worker;
}

/** Asks the worker to exit, and terminates it only if it has not after `graceMs`. Resolves once it is gone. */
export async function stopMlWorker(worker: Worker, graceMs = 15_000): Promise<void> {
  if (!live.has(worker)) return;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  Atomics.store(stopFlags.get(worker)!, STOP_FLAG_INDEX, 1);
  worker.postMessage(SHUTDOWN);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
  const outcome = await Promise.race([exited, late]);
  clearTimeout(timer);
  if (outcome === 'late') await worker.terminate();
}

/** Stops every ML worker this process started and that is still running (the process is quitting). */
export async function stopAllMlWorkers(graceMs?: number): Promise<void> {
  await Promise.all([...live].map((worker) => stopMlWorker(worker, graceMs)));
}
