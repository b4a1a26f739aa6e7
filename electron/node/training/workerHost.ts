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
 * period. A worker that never loaded Dawn is safe to terminate, so it gets a short grace: a second
 * shared word records whether it has, and the host claims it first (a compare-and-swap on both sides,
 * so a worker cannot start loading Dawn while it is being terminated).
 */
import { Worker } from 'node:worker_threads';
import type { WorkerData } from './protocol.js';

/** The message every ML worker answers by exiting at once. */
export const SHUTDOWN = { type: 'shutdown' } as const;

const live = new Set<Worker>();
const stopFlags = new WeakMap<Worker, Int32Array>();
const stoppings = new WeakMap<Worker, Promise<void>>();

/** The shared flag's index: 0 while the worker may run, 1 once it is asked to leave. */
export const STOP_FLAG_INDEX = 0;
/** The shared word saying who holds Dawn in this worker: one of `DawnState`. */
const DAWN_STATE_INDEX = 1;
const DawnState = { unused: 0, loaded: 1, terminating: 2 } as const;
/** How long a worker that never loaded Dawn may take to leave by itself before it is terminated. */
const SHORT_GRACE_MS = 2_000;

/** In the worker, before it loads Dawn: true when it may (the host has not begun to terminate it). */
export function claimDawn(flags: Int32Array): boolean {
  return Atomics.compareExchange(flags, DAWN_STATE_INDEX, DawnState.unused, DawnState.loaded) !== DawnState.terminating;
}

/** Starts an ML worker; `entry` replaces the studio's worker (tests start stand-ins that way). */
export function spawnMlWorker(data: WorkerData, entry = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url)): Worker {
  const stopFlag = new SharedArrayBuffer(8);
  const workerData = { ...data, stopFlag };
  let worker: Worker;
  if (!entry.pathname.endsWith('.ts')) {
    worker = new Worker(entry, { workerData });
  } else {
    // From source: register tsx's loader inside the worker before importing the TypeScript entry.
    const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`;
    worker = new Worker(bootstrap, { eval: true, workerData });
  }
  stopFlags.set(worker, new Int32Array(stopFlag));
  live.add(worker);
  worker.once('exit', () => live.delete(worker));
  return worker;
}

/**
 * Asks the worker to exit, and terminates it only if it has not after `graceMs` (at most two seconds
 * when it never loaded Dawn, which makes terminating it safe). Resolves once it is gone.
 */
export function stopMlWorker(worker: Worker, graceMs = 15_000): Promise<void> {
  if (!live.has(worker)) return Promise.resolve();
  // A second request while the first is under way waits for the first (the shared words are claimed once).
  let stopping = stoppings.get(worker);
  if (!stopping) {
    stopping = leaveOrTerminate(worker, graceMs);
    stoppings.set(worker, stopping);
  }
  return stopping;
}

async function leaveOrTerminate(worker: Worker, graceMs: number): Promise<void> {
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const flags = stopFlags.get(worker)!;
  const withoutDawn = Atomics.compareExchange(flags, DAWN_STATE_INDEX, DawnState.unused, DawnState.terminating) === DawnState.unused;
  Atomics.store(flags, STOP_FLAG_INDEX, 1);
  worker.postMessage(SHUTDOWN);
  const grace = withoutDawn ? Math.min(graceMs, SHORT_GRACE_MS) : graceMs;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), grace)));
  const outcome = await Promise.race([exited, late]);
  clearTimeout(timer);
  if (outcome === 'late') await worker.terminate();
}

/** Stops every ML worker this process started and that is still running (the process is quitting). */
export async function stopAllMlWorkers(graceMs?: number): Promise<void> {
  await Promise.all([...live].map((worker) => stopMlWorker(worker, graceMs)));
}
