/**
 * Which TensorFlow.js backend trains on this machine, and why. Probing never throws: every backend
 * ends up either available or with a reason a user can act on.
 *
 * Order of preference: `tensorflow` (tfjs-node / tfjs-node-gpu, native libtensorflow), `webgpu`
 * (a real GPU adapter through Dawn), `wasm` (XNNPACK, with the project's training kernels), and `cpu`
 * (pure JavaScript: correct but far too slow for convolutions, so only for tiny tests).
 */
import * as tf from '@tensorflow/tfjs';
import { registerWasmKernels } from '../wasm/register.js';
import { guardWasmAllocations } from './wasmHeap.js';
import { enableRelaxedSimd, setRelaxedSimd, setSimdHelpers, usesRelaxedSimd } from '../wasm/simd/module.js';
import { loadWorkerThreads } from '../wasm/simd/threads.js';
import { isNode, unrefWasmThreads, withNodeWasmThreads } from './wasmThreads.js';

export const backendPreference = ['tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof backendPreference)[number];

export interface BackendProbe {
  name: BackendName;
  package: string;
  available: boolean;
  reason: string;
}

export interface BackendChoice {
  name: BackendName | null;
  reason: string;
  probes: BackendProbe[];
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.slice(0, 240);
}

function isMissingModule(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

async function probeTensorflow(): Promise<BackendProbe> {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await import(pkg);
      if (tf.findBackend('tensorflow')) {
        return { name: 'tensorflow', package: pkg, available: true, reason: `${pkg} loaded libtensorflow` };
      }
    } catch (error) {
      if (!isMissingModule(error)) {
        return { name: 'tensorflow', package: pkg, available: false, reason: `${pkg} is installed but failed to load: ${errorText(error)}` };
      }
    }
  }
  return {
    name: 'tensorflow',
    package: '@tensorflow/tfjs-node',
    available: false,
    reason:
      'not installed: @tensorflow/tfjs-node is optional and its install downloads libtensorflow, which failed or was skipped (install @tensorflow/tfjs-node-gpu with CUDA 11.2 + cuDNN 8.1 for an NVIDIA GPU)',
  };
}

async function probeWebgpu(): Promise<BackendProbe> {
  const pkg = 'webgpu';
  try {
    const dawn = (await import(pkg)) as { create: (flags: string[]) => { requestAdapter(): Promise<unknown> } };
    const gpu = dawn.create([]);
    const adapter = await gpu.requestAdapter();
    if (!adapter) {
      return { name: 'webgpu', package: pkg, available: false, reason: 'Dawn found no GPU adapter (no GPU driver with the Vulkan/Metal/D3D12 features WebGPU needs)' };
    }
    return { name: 'webgpu', package: pkg, available: true, reason: 'Dawn found a GPU adapter' };
  } catch (error) {
    if (isMissingModule(error)) {
      return { name: 'webgpu', package: pkg, available: false, reason: 'not installed: the optional package "webgpu" (Dawn for Node) is absent' };
    }
    return { name: 'webgpu', package: pkg, available: false, reason: `failed to start Dawn: ${errorText(error)}` };
  }
}

async function probeWasm(): Promise<BackendProbe> {
  const pkg = '@tensorflow/tfjs-backend-wasm';
  try {
    await import(pkg);
    const previous = tf.getBackend();
    const ok = await tf.setBackend('wasm');
    if (previous && previous !== 'wasm') await tf.setBackend(previous);
    if (!ok) return { name: 'wasm', package: pkg, available: false, reason: 'the WASM backend failed to initialise' };
    return { name: 'wasm', package: pkg, available: true, reason: 'WebAssembly with SIMD (XNNPACK) initialised' };
  } catch (error) {
    return { name: 'wasm', package: pkg, available: false, reason: `failed to load: ${errorText(error)}` };
  }
}

function probeCpu(): BackendProbe {
  return {
    name: 'cpu',
    package: '@tensorflow/tfjs',
    available: tf.findBackend('cpu') !== undefined || tf.engine().registryFactory.cpu !== undefined,
    reason: 'pure JavaScript: always present, but convolutions are far too slow to train on (tiny tests only)',
  };
}

export async function probeBackends(): Promise<BackendProbe[]> {
  return [await probeTensorflow(), await probeWebgpu(), await probeWasm(), probeCpu()];
}

/** The best available backend, or the forced one when it is available. */
export function chooseBackend(probes: BackendProbe[], forced?: BackendName): BackendChoice {
  if (forced) {
    const probe = probes.find((p) => p.name === forced);
    if (!probe?.available) {
      return { name: null, reason: `backend "${forced}" was requested but is unavailable: ${probe?.reason ?? 'unknown backend'}`, probes };
    }
    return { name: forced, reason: `requested explicitly`, probes };
  }
  const chosen = backendPreference.map((name) => probes.find((p) => p.name === name)).find((p) => p?.available);
  if (!chosen) return { name: null, reason: 'no backend could be initialised', probes };
  const skipped = probes
    .filter((p) => backendPreference.indexOf(p.name) < backendPreference.indexOf(chosen.name))
    .map((p) => p.name);
  const reason =
    skipped.length === 0
      ? `${chosen.name} is the fastest backend and it is available`
      : `${chosen.name} is the best available backend (${skipped.join(', ')} unavailable)`;
  return { name: chosen.name, reason, probes };
}

export function isBackendName(value: unknown): value is BackendName {
  return typeof value === 'string' && (backendPreference as readonly string[]).includes(value);
}

export interface BackendOptions {
  /**
   * WASM threads (XNNPACK's thread pool). Default: every core the runtime reports. 1 loads the
   * single-threaded SIMD build. Ignored by the other backends.
   */
  threads?: number;
  /**
   * WASM only: run the project's SIMD kernels on helper threads beside XNNPACK's pool (default true;
   * false keeps them on the calling thread, for comparison).
   */
  simdHelpers?: boolean;
  /**
   * WASM only: let the project's kernels use relaxed SIMD's fused multiply-add where the runtime has it
   * (default true; under Node 20 this turns on V8's --experimental-wasm-relaxed-simd).
   */
  relaxedSimd?: boolean;
}

export interface InitializedBackend {
  name: BackendName;
  /** Threads the backend computes with (1 where it does not say). */
  threads: number;
  /** What was set up, and anything that fell short of the request (e.g. threads unavailable). */
  detail: string;
}

/**
 * Makes `name` the active tfjs backend. For `wasm` it also registers the project's kernels, without
 * which the backend cannot train, and sets the thread count (re-creating the backend when it was
 * already initialised with another count, e.g. by `probeBackends`). Throws with a reason a user can
 * act on when the backend cannot start.
 */
export async function initBackend(name: BackendName, options: BackendOptions = {}): Promise<InitializedBackend> {
  switch (name) {
    case 'wasm':
      setSimdHelpers(options.simdHelpers ?? true);
      setRelaxedSimd(options.relaxedSimd ?? true);
      if (options.relaxedSimd ?? true) await enableRelaxedSimd();
      return initWasm(options.threads);
    case 'tensorflow':
      await importFirst(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']);
      return activate(name, 1, 'native libtensorflow');
    case 'webgpu':
      await prepareWebgpu();
      return activate(name, 1, 'WebGPU through Dawn');
    case 'cpu':
      return activate(name, 1, 'pure JavaScript (slow)');
  }
}

async function activate(name: BackendName, threads: number, detail: string): Promise<InitializedBackend> {
  if (!(await tf.setBackend(name))) throw new Error(`the ${name} backend failed to initialise`);
  await tf.ready();
  return { name, threads, detail };
}

async function importFirst(packages: string[]): Promise<void> {
  let lastError: unknown = null;
  for (const pkg of packages) {
    try {
      await import(pkg);
      return;
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(`none of ${packages.join(', ')} could be loaded: ${errorText(lastError)}`);
}

async function prepareWebgpu(): Promise<void> {
  if (isNode() && !(globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu) {
    // Node has no navigator.gpu: Dawn's bindings provide it and the WebGPU classes tfjs expects.
    const dawn = (await import('webgpu' as string)) as { create: (flags: string[]) => unknown; globals: object };
    Object.assign(globalThis, dawn.globals);
    const nav = ((globalThis as { navigator?: object }).navigator ?? {}) as { gpu?: unknown };
    nav.gpu = dawn.create([]);
    if (!(globalThis as { navigator?: object }).navigator) Object.defineProperty(globalThis, 'navigator', { value: nav, configurable: true });
  }
  await import('@tensorflow/tfjs-backend-webgpu');
}

async function initWasm(requested: number | undefined): Promise<InitializedBackend> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  registerWasmKernels();
  await loadWorkerThreads();
  const threads = Math.max(1, Math.floor(requested ?? (await defaultThreads())));
  const running = tf.engine().registry.wasm !== undefined;
  if (running && wasm.getThreadsCount() === threads && tf.getBackend() === 'wasm') {
    guardWasmAllocations((tf.backend() as unknown as { wasm: unknown }).wasm);
    return { name: 'wasm', threads, detail: `${wasmDetail(threads)}, project kernels registered` };
  }
  if (running) recreateWasmBackend();
  wasm.setThreadsCount(threads);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  const { problem } = await withNodeWasmThreads(threads, async () => {
    if (!(await tf.setBackend('wasm'))) throw new Error('the WASM backend failed to initialise');
  });
  const module = (tf.backend() as unknown as { wasm: unknown }).wasm;
  guardWasmAllocations(module);
  if (isNode()) unrefWasmThreads(module);
  const actual = wasm.getThreadsCount();
  const notes = [`${wasmDetail(actual)}, project kernels registered`];
  if (problem) notes.push(problem);
  else if (actual < threads) notes.push(`${threads} threads were requested but the runtime gave ${actual}`);
  return { name: 'wasm', threads: actual, detail: notes.join('; ') };
}

function wasmDetail(threads: number): string {
  return `WASM SIMD${usesRelaxedSimd() ? ' (relaxed-SIMD FMA)' : ''}, ${threads} thread(s)`;
}

/**
 * Drops the initialised wasm backend so the next `setBackend` builds it again (the thread count is
 * fixed when the WASM module starts). Its tensors are lost, so this runs before any training.
 */
function recreateWasmBackend(): void {
  const engine = tf.engine();
  const entry = engine.registryFactory.wasm;
  if (tf.getBackend() === 'wasm') {
    const fallback = tf.findBackend('cpu') ? 'cpu' : null;
    if (fallback) tf.setBackend(fallback);
  }
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', entry.factory, entry.priority);
}

async function defaultThreads(): Promise<number> {
  if (isNode()) {
    const os = await import('node:os');
    return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  }
  return (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
}
