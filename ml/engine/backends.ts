/**
 * Which TensorFlow.js backend trains on this machine, and why. Probing never throws: every backend
 * ends up either available or with a reason a user can act on.
 *
 * Order of preference, used until speeds are measured: `tensorflow` (tfjs-node / tfjs-node-gpu, native
 * libtensorflow), `webgpu` (a real GPU adapter through Dawn), `wasm` (XNNPACK, with the project's
 * training kernels), and `cpu` (pure JavaScript: correct but far too slow for convolutions, so only for
 * tiny tests). A software GPU adapter is never chosen by itself; among the others, a measured speed
 * for the run's own model and batch decides (`chooseBackend` with `speeds`, see measure.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { registerWasmKernels } from '../wasm/register.js';
import { guardWasmAllocations } from './wasmHeap.js';
import { enableRelaxedSimd, setRelaxedSimd, setSimdHelpers, usesRelaxedSimd } from '../wasm/simd/module.js';
import { loadWorkerThreads } from '../wasm/simd/threads.js';
import { isNode, unrefWasmThreads, withNodeWasmThreads } from './wasmThreads.js';
import { adapterName, describeAdapter, enableWebgpuSteps, guardWebgpuBackend, prepareWebgpu, probeDawnAdapter, type GpuProbe } from './webgpu.js';

/** WebAssembly's 32-bit address space: the wasm backend's heap can never grow past 4 GiB. */
export const WASM_HEAP_LIMIT = 4 * 2 ** 30;

export const backendPreference = ['tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof backendPreference)[number];

export interface BackendProbe {
  name: BackendName;
  package: string;
  available: boolean;
  reason: string;
  /** The device it computes on, when known: a GPU adapter's vendor, architecture and description. */
  device?: string;
  /** A CPU standing in for a GPU (SwiftShader, llvmpipe, ...): available by name, never chosen by itself. */
  software?: boolean;
  /** Device limits that bound a batch (bytes), when known. */
  limits?: Record<string, number>;
  /** What would make an unavailable backend available. */
  enable?: string;
}

export interface BackendChoice {
  name: BackendName | null;
  reason: string;
  probes: BackendProbe[];
}

/** Training images per second measured on this machine, by backend (see measure.ts). */
export type MeasuredSpeeds = Partial<Record<BackendName, number>>;

function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.slice(0, 240);
}

function isMissingModule(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

const tensorflowSteps =
  'npm install @tensorflow/tfjs-node (CPU), or @tensorflow/tfjs-node-gpu on an NVIDIA machine with CUDA 11.2 and cuDNN 8.1; both download libtensorflow while installing';

async function probeTensorflow(): Promise<BackendProbe> {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await import(pkg);
      if (tf.findBackend('tensorflow')) {
        const gpu = pkg.endsWith('-gpu');
        return { name: 'tensorflow', package: pkg, available: true, reason: `${pkg} loaded libtensorflow`, device: gpu ? 'CUDA GPU (libtensorflow)' : 'CPU (libtensorflow)' };
      }
    } catch (error) {
      if (!isMissingModule(error)) {
        return { name: 'tensorflow', package: pkg, available: false, reason: `${pkg} is installed but failed to load: ${errorText(error)}`, enable: tensorflowSteps };
      }
    }
  }
  return {
    name: 'tensorflow',
    package: '@tensorflow/tfjs-node',
    available: false,
    reason: 'not installed: @tensorflow/tfjs-node is optional and its install downloads libtensorflow, which failed or was skipped',
    enable: tensorflowSteps,
  };
}

async function probeWebgpu(): Promise<BackendProbe> {
  const pkg = isNode() ? 'webgpu' : '@tensorflow/tfjs-backend-webgpu';
  const { adapter, reason } = isNode() ? await probeDawnAdapter() : await probeBrowserAdapter();
  if (!adapter) return { name: 'webgpu', package: pkg, available: false, reason, enable: enableWebgpuSteps() };
  return {
    name: 'webgpu',
    package: pkg,
    available: true,
    reason: adapter.software
      ? `only a software adapter was found, ${adapterName(adapter)}: WebGPU emulated on the CPU, slower than wasm, so it is used only when asked for by name`
      : `Dawn found a GPU adapter: ${adapterName(adapter)}`,
    device: adapterName(adapter),
    software: adapter.software,
    limits: adapter.limits,
    ...(adapter.software ? { enable: 'a real GPU with a WebGPU driver; ' + enableWebgpuSteps() } : {}),
  };
}

async function probeBrowserAdapter(): Promise<GpuProbe> {
  const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(options?: object): Promise<unknown> } } }).navigator?.gpu;
  if (!gpu) return { adapter: null, reason: 'this browser has no WebGPU (navigator.gpu)' };
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return { adapter: null, reason: 'the browser found no GPU adapter' };
  return { adapter: describeAdapter(adapter as Parameters<typeof describeAdapter>[0]), reason: 'the browser found a GPU adapter' };
}

async function probeWasm(): Promise<BackendProbe> {
  const pkg = '@tensorflow/tfjs-backend-wasm';
  try {
    await import(pkg);
    const previous = tf.getBackend();
    const ok = await tf.setBackend('wasm');
    if (previous && previous !== 'wasm') await tf.setBackend(previous);
    if (!ok) return { name: 'wasm', package: pkg, available: false, reason: 'the WASM backend failed to initialise' };
    return {
      name: 'wasm',
      package: pkg,
      available: true,
      reason: 'WebAssembly with SIMD (XNNPACK) initialised',
      device: 'CPU (WebAssembly SIMD)',
      limits: { heapBytes: WASM_HEAP_LIMIT },
    };
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
    device: 'CPU (JavaScript)',
  };
}

export async function probeBackends(): Promise<BackendProbe[]> {
  return [await probeTensorflow(), await probeWebgpu(), await probeWasm(), probeCpu()];
}

/**
 * The backends a run may be given without being asked for by name: available, on real hardware (no
 * software GPU), and not the pure-JavaScript `cpu` unless nothing else is available.
 */
export function automaticCandidates(probes: BackendProbe[]): BackendProbe[] {
  const real = probes.filter((p) => p.available && !p.software && p.name !== 'cpu');
  if (real.length > 0) return backendPreference.map((n) => real.find((p) => p.name === n)).filter((p): p is BackendProbe => p !== undefined);
  return probes.filter((p) => p.available && p.name === 'cpu');
}

export interface ChooseOptions {
  /** `--backend`, the UI's choice, or ATTENTION_STUDIO_BACKEND: used when available, whatever else. */
  forced?: BackendName | undefined;
  /** Measured training speed per backend for the run's model, image size and batch (see measure.ts). */
  speeds?: MeasuredSpeeds | undefined;
}

/**
 * The backend a run will use. Forced: that one, if available. Otherwise, among the automatic candidates,
 * the fastest measured one when at least two were measured, else the first in `backendPreference`.
 */
export function chooseBackend(probes: BackendProbe[], options: ChooseOptions | BackendName = {}): BackendChoice {
  const { forced, speeds } = typeof options === 'string' ? { forced: options, speeds: undefined } : options;
  if (forced) {
    const probe = probes.find((p) => p.name === forced);
    if (!probe?.available) {
      return { name: null, reason: `backend "${forced}" was requested but is unavailable: ${probe?.reason ?? 'unknown backend'}`, probes };
    }
    return { name: forced, reason: `requested explicitly`, probes };
  }
  const candidates = automaticCandidates(probes);
  if (candidates.length === 0) return { name: null, reason: 'no backend could be initialised', probes };
  const software = probes.filter((p) => p.available && p.software).map((p) => p.name);
  const softwareNote = software.length ? `; ${software.join(', ')} only on a software adapter, not chosen automatically` : '';
  const measured = candidates.filter((p) => (speeds?.[p.name] ?? 0) > 0);
  if (measured.length >= 2) {
    const ranked = [...measured].sort((a, b) => speeds![b.name]! - speeds![a.name]!);
    const best = ranked[0]!;
    const others = ranked.slice(1).map((p) => `${p.name} ${formatSpeed(speeds![p.name]!)}`).join(', ');
    return {
      name: best.name,
      reason: `${best.name} trained this model fastest on this machine: ${formatSpeed(speeds![best.name]!)} against ${others}${softwareNote}`,
      probes,
    };
  }
  const chosen = candidates[0]!;
  const unavailable = probes
    .filter((p) => backendPreference.indexOf(p.name) < backendPreference.indexOf(chosen.name) && !p.available)
    .map((p) => p.name);
  const alone = candidates.length === 1;
  const reason = alone
    ? `${chosen.name} is the only backend with real hardware here${unavailable.length ? ` (${unavailable.join(', ')} unavailable)` : ''}${softwareNote}`
    : `${chosen.name} is first in the order of preference (${candidates.map((p) => p.name).join(' > ')}); no speed measured yet${softwareNote}`;
  return { name: chosen.name, reason, probes };
}

function formatSpeed(imagesPerSecond: number): string {
  return `${imagesPerSecond >= 100 ? Math.round(imagesPerSecond) : imagesPerSecond.toPrecision(3)} img/s`;
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
  /**
   * WASM only: keep the tensors' memory under this many bytes (default: no limit below WebAssembly's
   * 4 GiB). A batch over it stops with the batch size that fits, as a full heap does.
   */
  memoryLimitBytes?: number;
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
      return initWasm(options.threads, options.memoryLimitBytes);
    case 'tensorflow':
      await importFirst(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']);
      return activate(name, 1, 'native libtensorflow');
    case 'webgpu': {
      await prepareWebgpu();
      const started = await activate(name, 1, isNode() ? 'WebGPU through Dawn' : 'WebGPU');
      guardWebgpuBackend(tf.backend());
      return started;
    }
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

async function initWasm(requested: number | undefined, memoryLimitBytes: number | undefined): Promise<InitializedBackend> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  registerWasmKernels();
  await loadWorkerThreads();
  const threads = Math.max(1, Math.floor(requested ?? (await defaultThreads())));
  const running = tf.engine().registry.wasm !== undefined;
  if (running && wasm.getThreadsCount() === threads && tf.getBackend() === 'wasm') {
    guardWasmAllocations((tf.backend() as unknown as { wasm: unknown }).wasm, memoryLimitBytes);
    return { name: 'wasm', threads, detail: `${wasmDetail(threads)}, project kernels registered` };
  }
  if (running) recreateWasmBackend();
  wasm.setThreadsCount(threads);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  const { problem } = await withNodeWasmThreads(threads, async () => {
    if (!(await tf.setBackend('wasm'))) throw new Error('the WASM backend failed to initialise');
  });
  const module = (tf.backend() as unknown as { wasm: unknown }).wasm;
  guardWasmAllocations(module, memoryLimitBytes);
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
