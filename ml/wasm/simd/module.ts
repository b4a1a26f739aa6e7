/**
 * The project's SIMD module: every hand-assembled loop (simd/channelKernels.ts, gemmKernels.ts, poolKernels.ts) in
 * one WebAssembly module on the tfjs wasm backend's own memory, plus its helper threads where that
 * memory is shared (simd/threads.ts).
 */
import { getThreadsCount, type BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { assemble, type FunctionDef } from './assembler.js';
import { channelFunctions, type ChannelKernels } from './channelKernels.js';
import { gemmFunctions, type GemmKernels } from './gemmKernels.js';
import { poolFunctions, type PoolKernels } from './poolKernels.js';
import { splitByShares, startSimdThreads, type SimdThreads } from './threads.js';

export interface SimdKernels {
  kernels: ChannelKernels & GemmKernels & PoolKernels;
  /** Helper threads running the same functions, or null (single-threaded build, not Node, or none wanted). */
  threads: SimdThreads | null;
}

/** A WebAssembly.Memory; this project compiles without the DOM typings that declare it. */
interface WasmMemory {
  buffer: ArrayBufferLike;
}

interface EmscriptenMemory {
  asm?: { memory?: WasmMemory };
  wasmMemory?: WasmMemory;
}

interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

/** The backend's WebAssembly.Memory: imported in the threaded build, exported in the others. */
function memoryOf(backend: BackendWasm): WasmMemory | undefined {
  const module = backend.wasm as unknown as EmscriptenMemory;
  return module.wasmMemory ?? module.asm?.memory;
}

function isShared(memory: WasmMemory): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}

/** f32x4.relaxed_madd in a function of three v128 parameters, for feature detection. */
const RELAXED_MADD_PROBE = Uint8Array.from([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0,
  10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 253, 133, 2, 11,
]);

/**
 * Whether this runtime has WebAssembly relaxed SIMD (on by default from V8 11.4: Node 22, Electron 25;
 * behind --experimental-wasm-relaxed-simd in Node 20, which `enableRelaxedSimd` turns on).
 */
export function relaxedSimd(): boolean {
  const api = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
  try {
    return api.validate(RELAXED_MADD_PROBE);
  } catch {
    return false;
  }
}

/** Assembles `functions` against `memory` (shared or not). */
function compile(functions: FunctionDef[], memory: WasmMemory): { module: object; exports: Record<string, unknown> } {
  const shared = isShared(memory);
  const bytes = assemble({ minimum: 1, shared, maximum: shared ? 65536 : undefined }, functions);
  const api = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
  const module = new api.Module(bytes);
  return { module, exports: new api.Instance(module, { env: { memory } }).exports };
}

let instances = new WeakMap<BackendWasm, SimdKernels | null>();
/** The helpers of the last backend seen; a new backend (threads changed) shuts them down. */
let liveThreads: { backend: BackendWasm; threads: SimdThreads } | null = null;
let helpersWanted = true;
let fmaWanted = true;

function rebuild(): void {
  liveThreads?.threads.close();
  liveThreads = null;
  instances = new WeakMap();
}

/** Whether the kernels get helper threads. A change applies from the next kernel call on. */
export function setSimdHelpers(enabled: boolean): void {
  if (enabled === helpersWanted) return;
  helpersWanted = enabled;
  rebuild();
}

/**
 * Whether the kernels use relaxed SIMD's fused multiply-add where the runtime has it (default true).
 * A change applies from the next kernel call on.
 */
export function setRelaxedSimd(enabled: boolean): void {
  if (enabled === fmaWanted) return;
  fmaWanted = enabled;
  rebuild();
}

/** Whether kernels set up now multiply-add with relaxed SIMD. */
export function usesRelaxedSimd(): boolean {
  return fmaWanted && relaxedSimd();
}

/**
 * The kernels bound to `backend`'s memory, or null where they cannot run (no SIMD, or a memory this code
 * cannot find); callers then use their JavaScript loops.
 */
export function simdKernels(backend: BackendWasm): SimdKernels | null {
  if (instances.has(backend)) return instances.get(backend)!;
  let result: SimdKernels | null = null;
  try {
    const memory = memoryOf(backend);
    if (memory) {
      const channel = channelFunctions();
      const functions = [...channel, ...gemmFunctions(channel.length, usesRelaxedSimd()), ...poolFunctions()];
      const { module, exports } = compile(functions, memory);
      let threads: SimdThreads | null = null;
      const helpers = helpersWanted && isShared(memory) ? getThreadsCount() - 1 : 0;
      if (helpers > 0) {
        if (liveThreads && liveThreads.backend !== backend) liveThreads.threads.close();
        threads = startSimdThreads(module, memory, exports, functions.map((f) => f.name), helpers);
        liveThreads = threads ? { backend, threads } : null;
      }
      result = { kernels: exports as unknown as SimdKernels['kernels'], threads };
    }
  } catch {
    result = null;
  }
  instances.set(backend, result);
  return result;
}

/**
 * Smaller jobs stay on the calling thread. After each XNNPACK operation its pool thread spins for 2-3 ms
 * before it sleeps, so a helper woken then shares a core with it; only a job of several milliseconds
 * gains enough to pay for that. Measured on two cores (bench:train, attention56-cifar): filter gradients
 * of 64 M multiply-adds and up (4-5 ms on one core) gain; batch-norm passes under 4 MiB do not.
 */
const sharing = { minMultiplyAdds: 64e6, minBytes: 4 << 20 };

/** Lowers or raises the sizes above which work is shared out (tests use small ones). */
export function setSharingThresholds(thresholds: Partial<typeof sharing>): typeof sharing {
  const previous = { ...sharing };
  Object.assign(sharing, thresholds);
  return previous;
}

/** How many parts a job should split into (1 without helpers or below the thresholds). */
export function partsFor(simd: SimdKernels, size: { bytes?: number; multiplyAdds?: number }): number {
  if (!simd.threads) return 1;
  const big = (size.bytes ?? 0) >= sharing.minBytes || (size.multiplyAdds ?? 0) >= sharing.minMultiplyAdds;
  return big ? simd.threads.helpers + 1 : 1;
}

function runHere(simd: SimdKernels, name: keyof SimdKernels['kernels'], args: number[]): void {
  (simd.kernels[name] as (...values: number[]) => void)(...args);
}

/**
 * The calling thread's share of each function's work, learnt from how long the parts took: a helper is
 * woken for each job and may start late (see the thresholds above), so an even split leaves the calling
 * thread waiting. Starts even, then moves a quarter of the way to the split that would have finished
 * together, each call.
 */
const callingShares = new Map<string, number>();

/**
 * Splits `count` items among the calling thread and the helpers (`parts` in all, from `partsFor`) and
 * runs `job(begin, end, part)` for each range; the jobs must write disjoint memory. With `balance`
 * (the default) the split follows the learnt shares, so it varies from call to call: only for jobs whose
 * result does not depend on where the ranges end.
 */
export function shareOut(
  simd: SimdKernels, name: keyof SimdKernels['kernels'], count: number, parts: number,
  job: (begin: number, end: number, part: number) => number[],
  options: { balance?: boolean } = {},
): void {
  if (!simd.threads || parts <= 1 || count < 2) {
    runHere(simd, name, job(0, count, 0));
    return;
  }
  const helpers = parts - 1;
  const balance = options.balance ?? true;
  const share = (balance ? callingShares.get(name) : undefined) ?? 1 / parts;
  const ranges = splitByShares(count, [share, ...Array<number>(helpers).fill((1 - share) / helpers)]);
  const jobs = ranges.map(([begin, end], part) => job(begin, end, part));
  if (jobs.length < 2) {
    runHere(simd, name, jobs[0]);
    return;
  }
  const times = simd.threads.run(name, jobs);
  if (!balance) return;
  const rate = (part: number): number => (ranges[part][1] - ranges[part][0]) / Math.max(times[part], 1e-3);
  let helperRate = 0;
  for (let part = 1; part < ranges.length; part++) if (Number.isFinite(times[part])) helperRate += rate(part);
  if (helperRate === 0) return;
  const ideal = rate(0) / (rate(0) + helperRate);
  callingShares.set(name, Math.min(0.9, Math.max(1 / (parts + 2), 0.75 * share + 0.25 * ideal)));
}

/**
 * Node 20's V8 has relaxed SIMD behind a flag; turn it on before the project's module is compiled. The
 * flag only lets new opcodes validate, so modules compiled before (tfjs's own) are unaffected.
 */
export async function enableRelaxedSimd(): Promise<void> {
  const process = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (relaxedSimd() || typeof process?.versions?.node !== 'string') return;
  try {
    const v8 = await import('node:v8');
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    // Without the flag the kernels multiply and add separately.
  }
}
