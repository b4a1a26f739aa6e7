/**
 * Helper threads for the project's own SIMD kernels. XNNPACK spreads its convolutions over the threaded
 * wasm build's pool, but the project kernels (filter gradients, batch-norm passes) are called from
 * JavaScript and ran on the calling thread alone, leaving the other cores idle for a third of a step.
 *
 * Where the backend's memory is shared (the threaded build), each helper is a worker thread holding its
 * own instance of the same SIMD module on the same memory. A call hands every helper one part of the
 * work (a function name and its integer arguments) through a small shared control block, runs the first
 * part here, and waits with `Atomics.wait` until the helpers are done: synchronous, as a kernel must be.
 * The parts must write disjoint memory. A helper that has not started yet, or failed to, leaves its part
 * to the calling thread, so nothing ever waits on a thread that is not there.
 *
 * Node only (worker_threads); elsewhere, and on single-threaded builds, there are no helpers.
 */

/** Control block layout (Int32 slots). */
const POSTED = 0; // sequence number of the last job handed over (−1: shut down)
const DONE = 1; // sequence number of the last job finished
const FUNCTION = 2; // index into the function names
const ARG_COUNT = 3;
const FAILED = 4; // 1 when the last job threw
const READY = 5; // 1 once the helper waits for jobs
const ARGS = 8;
const MAX_ARGS = 24;

/** A job the helpers have not finished in this long is taken as lost (their thread died). */
const JOB_TIMEOUT_MS = 10 * 60 * 1000;

/** The helper's code: CommonJS, evaluated as the worker's script, so no file has to be found. */
const HELPER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, clock, names } = workerData;
const finished = new Float64Array(clock);
const exported = new WebAssembly.Instance(module, { env: { memory } }).exports;
const functions = names.map((name) => exported[name]);
const ctl = new Int32Array(control);
Atomics.store(ctl, ${READY}, 1);
let seen = 0;
for (;;) {
  Atomics.wait(ctl, ${POSTED}, seen);
  const job = Atomics.load(ctl, ${POSTED});
  if (job === seen) continue;
  if (job < 0) break;
  seen = job;
  try {
    functions[ctl[${FUNCTION}]](...ctl.subarray(${ARGS}, ${ARGS} + ctl[${ARG_COUNT}]));
  } catch (error) {
    Atomics.store(ctl, ${FAILED}, 1);
  }
  finished[0] = performance.timeOrigin + performance.now();
  Atomics.store(ctl, ${DONE}, job);
  Atomics.notify(ctl, ${DONE});
}
`;

export interface SimdThreads {
  /** Helper threads besides the calling one: work splits into up to `helpers + 1` parts. */
  readonly helpers: number;
  /** Parts the helpers have finished so far (the calling thread's parts not counted). */
  readonly handedOver: number;
  /**
   * Runs `name(...parts[0])` here and `name(...parts[i])` on helper i − 1 (the calling thread takes the
   * parts of helpers that are not ready), and returns when every part is done, with how long each part
   * took from the call (NaN for a part the calling thread took over).
   */
  run(name: string, parts: number[][]): PartTimes;
  close(): void;
}

/** Milliseconds from the start of a `run` until each part was done: [calling thread, helper 1, …]. */
export type PartTimes = number[];

interface Helper {
  /** The helper writes the time it finished its last job here (ms since the epoch, as performance.timeOrigin). */
  finished: Float64Array;
  control: Int32Array;
  sequence: number;
}

interface WorkerThreadsModule {
  Worker: new (source: string, options: { eval: true; workerData: unknown }) => {
    unref(): void; on(event: string, listener: (...args: unknown[]) => void): unknown;
  };
}

let workerThreads: WorkerThreadsModule | null = null;

/**
 * Loads `node:worker_threads` for the helpers (the kernels that use them are synchronous, so this runs
 * once when the backend starts). Does nothing outside Node.
 */
export async function loadWorkerThreads(): Promise<void> {
  const process = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (workerThreads || typeof process?.versions?.node !== 'string') return;
  try {
    workerThreads = (await import('node:worker_threads')) as unknown as WorkerThreadsModule;
  } catch {
    workerThreads = null;
  }
}

/**
 * Starts `count` helpers for `module` (compiled against `memory`, which must be shared), or returns null
 * where helper threads cannot run. `local` is this thread's instance of the same module.
 */
export function startSimdThreads(
  module: object, memory: { buffer: ArrayBufferLike }, local: Record<string, unknown>, names: string[], count: number,
): SimdThreads | null {
  if (count < 1 || typeof SharedArrayBuffer === 'undefined' || !(memory.buffer instanceof SharedArrayBuffer)) return null;
  const threads = workerThreads;
  if (!threads) return null;
  const helpers: Helper[] = [];
  for (let i = 0; i < count; i++) {
    const control = new Int32Array(new SharedArrayBuffer((ARGS + MAX_ARGS) * 4));
    const finished = new Float64Array(new SharedArrayBuffer(8));
    try {
      const worker = new threads.Worker(HELPER_SOURCE, {
        eval: true, workerData: { module, memory, control: control.buffer, clock: finished.buffer, names },
      });
      // A helper that dies is never ready again; the calling thread does its share from then on.
      worker.on('error', () => Atomics.store(control, READY, 0));
      worker.on('exit', () => Atomics.store(control, READY, 0));
      worker.unref();
    } catch {
      continue;
    }
    helpers.push({ control, finished, sequence: 0 });
  }
  if (helpers.length === 0) return null;

  const call = (name: string, args: number[]): void => {
    (local[name] as (...a: number[]) => void)(...args);
  };

  let handedOver = 0;
  return {
    helpers: helpers.length,
    get handedOver() {
      return handedOver;
    },
    run(name, parts) {
      const index = names.indexOf(name);
      if (index < 0) throw new Error(`no SIMD function '${name}' for helper threads`);
      const posted: { helper: Helper; part: number }[] = [];
      const leftOver: number[][] = [];
      const times: PartTimes = parts.map(() => Number.NaN);
      const start = performance.timeOrigin + performance.now();
      for (let i = 1; i < parts.length; i++) {
        const helper = helpers[i - 1];
        const args = parts[i];
        if (!helper || args.length > MAX_ARGS || Atomics.load(helper.control, READY) !== 1) {
          leftOver.push(args);
          continue;
        }
        const ctl = helper.control;
        ctl[FUNCTION] = index;
        ctl[ARG_COUNT] = args.length;
        for (let a = 0; a < args.length; a++) ctl[ARGS + a] = args[a];
        ctl[FAILED] = 0;
        helper.sequence += 1;
        Atomics.store(ctl, POSTED, helper.sequence);
        Atomics.notify(ctl, POSTED);
        posted.push({ helper, part: i });
      }
      let failure: unknown = null;
      try {
        if (parts.length > 0) call(name, parts[0]);
        times[0] = performance.timeOrigin + performance.now() - start;
        for (const args of leftOver) call(name, args);
      } catch (error) {
        failure = error;
      }
      // Always wait for the helpers, even after a failure here: they may still write to memory.
      const deadline = Date.now() + JOB_TIMEOUT_MS;
      for (const { helper, part } of posted) {
        const ctl = helper.control;
        for (;;) {
          const done = Atomics.load(ctl, DONE);
          if (done === helper.sequence) break;
          if (Date.now() > deadline) throw new Error(`a SIMD helper thread did not finish '${name}' (it may have died)`);
          Atomics.wait(ctl, DONE, done, 1000);
        }
        if (ctl[FAILED] === 1) failure ??= new Error(`the SIMD function '${name}' failed on a helper thread`);
        handedOver += 1;
        times[part] = helper.finished[0] - start;
      }
      if (failure) throw failure;
      return times;
    },
    close() {
      for (const helper of helpers) {
        Atomics.store(helper.control, READY, 0);
        Atomics.store(helper.control, POSTED, -1);
        Atomics.notify(helper.control, POSTED);
      }
      helpers.length = 0;
    },
  };
}

/**
 * Splits `count` items into contiguous [begin, end) ranges in proportion to `shares` (which sum to 1),
 * dropping empty ones; the first range belongs to the calling thread.
 */
export function splitByShares(count: number, shares: number[]): [number, number][] {
  const ranges: [number, number][] = [];
  let begin = 0;
  let cumulative = 0;
  for (let i = 0; i < shares.length; i++) {
    cumulative += shares[i];
    const end = i === shares.length - 1 ? count : Math.min(count, Math.round(cumulative * count));
    if (end > begin) ranges.push([begin, end]);
    begin = Math.max(begin, end);
  }
  return ranges;
}
