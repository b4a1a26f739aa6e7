/**
 * WebGPU for training under Node and in the browser: finding the adapter, telling a real GPU from a
 * software one, and making tfjs's WebGPU backend safe to train on.
 *
 * Under Node, WebGPU comes from Dawn (the optional `webgpu` package). Dawn prints its driver search to
 * stderr from C++ (a missing Vulkan loader, "Found no drivers"), so the probe runs it in a short-lived
 * child process whose output is captured and folded into the reason; the studio's own process loads
 * Dawn only when it will actually train or infer on it.
 *
 * tfjs's WebGPU backend reads tensors synchronously through an `OffscreenCanvas`, which Node lacks; the
 * studio reads asynchronously everywhere (engine/read.ts), and `guardSyncReads` turns any synchronous
 * read that is left into an error naming the problem instead of a crash deep inside tfjs.
 */
import * as tf from '@tensorflow/tfjs';
import { registerWebgpuKernels } from '../webgpu/register.js';
import { isNode } from './wasmThreads.js';

export interface GpuAdapterReport {
  vendor: string;
  architecture: string;
  description: string;
  /**
   * A CPU implementation of WebGPU (SwiftShader, llvmpipe/lavapipe, Microsoft Basic Render Driver, or an
   * adapter marked as a fallback): correct, but slower than the `wasm` backend, so never chosen by itself.
   */
  software: boolean;
  limits: { maxBufferSize: number; maxStorageBufferBindingSize: number; maxComputeWorkgroupStorageSize: number };
}

export interface GpuProbe {
  adapter: GpuAdapterReport | null;
  /** Why there is no adapter, in words a user can act on. */
  reason: string;
}

const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render/i;

interface AdapterLike {
  info?: { vendor?: string; architecture?: string; description?: string; device?: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
  limits: Record<string, number>;
}

export function describeAdapter(adapter: AdapterLike): GpuAdapterReport {
  const info = adapter.info ?? {};
  const text = [info.vendor, info.architecture, info.description, info.device].filter(Boolean).join(' ');
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    description: info.description || info.device || '',
    software: Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter) || SOFTWARE_ADAPTER.test(text),
    limits: {
      maxBufferSize: adapter.limits.maxBufferSize ?? 0,
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize ?? 0,
      maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize ?? 0,
    },
  };
}

/** One line naming the adapter, e.g. "google swiftshader (SwiftShader driver 5.0.0)". */
export function adapterName(adapter: GpuAdapterReport): string {
  const head = [adapter.vendor, adapter.architecture].filter(Boolean).join(' ') || 'unknown adapter';
  return adapter.description ? `${head} (${adapter.description})` : head;
}

/** What a user can do when Dawn finds no adapter, per platform. */
export function enableWebgpuSteps(platform: string = isNode() ? process.platform : 'browser'): string {
  if (platform === 'linux') {
    return 'install the GPU\'s Vulkan driver and loader (Debian/Ubuntu: `apt install libvulkan1 mesa-vulkan-drivers`, or the NVIDIA driver\'s Vulkan ICD)';
  }
  if (platform === 'win32') return 'update the GPU driver (WebGPU uses Direct3D 12)';
  if (platform === 'darwin') return 'WebGPU uses Metal, present on every supported Mac; update macOS';
  return 'use a browser with WebGPU enabled';
}

/** The script the probe child runs: finds an adapter with Dawn and prints it as JSON on stdout. */
const PROBE_SCRIPT = `
import { pathToFileURL } from 'node:url';
const print = (value) => process.stdout.write(JSON.stringify(value), () => process.exit(0));
try {
  const { create } = await import(pathToFileURL(process.argv[1]).href);
  const adapter = await create([]).requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) print({ adapter: null });
  else {
    const i = adapter.info ?? {};
    const limits = {};
    for (const key of ['maxBufferSize', 'maxStorageBufferBindingSize', 'maxComputeWorkgroupStorageSize']) limits[key] = adapter.limits[key];
    print({ adapter: { info: { vendor: i.vendor, architecture: i.architecture, description: i.description, device: i.device, isFallbackAdapter: i.isFallbackAdapter }, limits } });
  }
} catch (error) {
  print({ error: String(error && error.message || error) });
}
`;

/** Dawn's own messages, condensed: no C++ source locations, one line. */
export function condenseDawnMessages(stderr: string): string {
  return stderr
    .split('\n')
    .map((line) => line.replace(/^Warning:\s*/, '').trim())
    .filter((line) => line && !line.startsWith('at '))
    .join('; ')
    .slice(0, 300);
}

/**
 * Looks for a WebGPU adapter through Dawn without loading Dawn into this process (Node only; in a
 * browser use `navigator.gpu`). Never throws.
 */
export async function probeDawnAdapter(timeoutMs = 20_000): Promise<GpuProbe> {
  const [{ spawn }, { createRequire }] = await Promise.all([import('node:child_process'), import('node:module')]);
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve('webgpu');
  } catch {
    return { adapter: null, reason: 'not installed: the optional package "webgpu" (Dawn for Node) is absent' };
  }
  // The packaged desktop app cannot run its binary as plain Node (its fuses forbid it), and nobody reads
  // its stderr: there Dawn is probed in the process itself.
  if (process.versions.electron) return probeInProcess();
  return new Promise<GpuProbe>((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', PROBE_SCRIPT, entry], {
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ adapter: null, reason: `could not start the WebGPU probe: ${error.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const messages = condenseDawnMessages(stderr);
      const parsed = parseProbeOutput(stdout);
      if (parsed?.adapter) return resolve({ adapter: describeAdapter(parsed.adapter), reason: 'Dawn found a GPU adapter' });
      if (parsed?.error) return resolve({ adapter: null, reason: `failed to start Dawn: ${parsed.error}` });
      if (parsed) {
        return resolve({ adapter: null, reason: `Dawn found no GPU adapter${messages ? ` (${messages})` : ''}: ${enableWebgpuSteps()}` });
      }
      const how = signal === 'SIGKILL' ? `timed out after ${timeoutMs / 1000} s` : `exited with ${signal ?? `code ${code}`}`;
      resolve({ adapter: null, reason: `the WebGPU probe ${how}${messages ? ` (${messages})` : ''}` });
    });
  });
}

/**
 * Asked before this thread loads Dawn. A host that may have to cut the thread off (a worker thread,
 * which must not be terminated inside a Dawn call) answers false once it has begun to, and Dawn is
 * then not loaded.
 */
let dawnGate: () => boolean = () => true;

/** Installs the question asked before Dawn is loaded into this thread (see `dawnGate`). */
export function setDawnGate(gate: () => boolean): void {
  dawnGate = gate;
}

function passDawnGate(): void {
  if (!dawnGate()) throw new Error('this thread is stopping, so Dawn was not loaded');
}

async function probeInProcess(): Promise<GpuProbe> {
  try {
    passDawnGate();
    const dawn = (await import('webgpu' as string)) as { create: (flags: string[]) => { requestAdapter(options?: object): Promise<AdapterLike | null> } };
    const adapter = await dawn.create([]).requestAdapter({ powerPreference: 'high-performance' });
    if (adapter) return { adapter: describeAdapter(adapter), reason: 'Dawn found a GPU adapter' };
    return { adapter: null, reason: `Dawn found no GPU adapter: ${enableWebgpuSteps()}` };
  } catch (error) {
    return { adapter: null, reason: `failed to start Dawn: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function parseProbeOutput(stdout: string): { adapter?: AdapterLike | null; error?: string } | null {
  try {
    return JSON.parse(stdout) as { adapter?: AdapterLike | null; error?: string };
  } catch {
    return null;
  }
}

/** Under Node: gives `globalThis` Dawn's `navigator.gpu` and WebGPU classes, which tfjs's backend expects. */
async function installDawn(): Promise<void> {
  passDawnGate();
  const dawn = (await import('webgpu' as string)) as { create: (flags: string[]) => unknown; globals: object };
  Object.assign(globalThis, dawn.globals);
  const existing = (globalThis as { navigator?: object }).navigator;
  const nav = (existing ?? {}) as { gpu?: unknown };
  nav.gpu = dawn.create([]);
  if (!existing) Object.defineProperty(globalThis, 'navigator', { value: nav, configurable: true });
}

/** Loads tfjs's WebGPU backend (and Dawn under Node) and registers the project's kernels for it. */
export async function prepareWebgpu(): Promise<void> {
  if (isNode() && !(globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu) await installDawn();
  await import('@tensorflow/tfjs-backend-webgpu');
  registerWebgpuKernels();
}

interface WebGpuBackendInternals {
  readSync(dataId: tf.DataId): tf.BackendValues;
  tensorMap: { get(dataId: tf.DataId): { values: tf.BackendValues | null } | undefined };
  device: GpuDeviceLike;
  adapterInfo?: { vendor?: string; architecture?: string };
}

interface GpuDeviceLike {
  limits: Record<string, number>;
  addEventListener?(type: 'uncapturederror', listener: (event: { error: { message: string }; preventDefault?: () => void }) => void): void;
  onuncapturederror?: ((event: { error: { message: string }; preventDefault?: () => void }) => void) | null;
  lost?: Promise<{ message: string; reason?: string }>;
}

/** Thrown for a read the WebGPU backend cannot do under Node, and for GPU errors found after a step. */
export class WebgpuError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebgpuError';
  }
}

const guarded = new WeakSet<object>();
const deviceErrors = new WeakMap<object, string[]>();

/**
 * Makes the active WebGPU backend fail clearly where it would fail obscurely: a synchronous read of
 * data that lives only on the GPU throws a `WebgpuError` (under Node; browsers have OffscreenCanvas),
 * and GPU errors nobody captured (out of memory, a buffer over the device's limits, a lost device) are
 * collected for `takeDeviceError` instead of being printed and ignored.
 */
export function guardWebgpuBackend(backend: unknown): void {
  const gpu = backend as WebGpuBackendInternals;
  if (guarded.has(gpu)) return;
  guarded.add(gpu);
  if (isNode() && typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas === 'undefined') {
    const readSync = gpu.readSync.bind(gpu);
    gpu.readSync = (dataId) => {
      const data = gpu.tensorMap.get(dataId);
      if (data?.values != null) return readSync(dataId);
      throw new WebgpuError(
        'A synchronous read (dataSync/arraySync) of a tensor on the GPU: the WebGPU backend can only read ' +
          'asynchronously under Node. This is a bug in the caller; use `await tensor.data()`.',
      );
    };
  }
  const errors: string[] = [];
  deviceErrors.set(gpu, errors);
  const record = (event: { error: { message: string }; preventDefault?: () => void }) => {
    // Handled here (the run stops with this message): not printed again by the runtime.
    event.preventDefault?.();
    if (errors.length < 5) errors.push(event.error.message.split('\n')[0]!);
  };
  if (gpu.device.addEventListener) gpu.device.addEventListener('uncapturederror', record);
  else gpu.device.onuncapturederror = record;
  void gpu.device.lost?.then((info) => errors.push(`the GPU device was lost: ${info.message || info.reason || 'no reason given'}`));
}

/** A GPU error found after the work that caused it: WebGPU reports errors asynchronously. */
export class GpuDeviceError extends Error {
  constructor(message: string, readonly outOfMemory: boolean) {
    super(message);
    this.name = 'GpuDeviceError';
  }
}

const MEMORY_ERROR = /out of memory|exceeds the max(imum)? (buffer size|storage buffer binding size)|allocation failed/i;

/**
 * Throws the first GPU error recorded since the last check (WebGPU only; a no-op elsewhere): after
 * such an error the GPU skipped work and the values read back are not to be trusted.
 */
export function throwIfDeviceError(during: string, backend: unknown = tf.backend()): void {
  const error = takeDeviceError(backend);
  if (error) throw new GpuDeviceError(`The GPU reported an error during ${during}: ${error}`, MEMORY_ERROR.test(error));
}

/** The first GPU error recorded since the last call (then cleared), or null. */
export function takeDeviceError(backend: unknown = tf.backend()): string | null {
  const errors = deviceErrors.get(backend as object);
  if (!errors || errors.length === 0) return null;
  const first = errors[0]!;
  errors.length = 0;
  return first;
}

/** The active WebGPU backend's device limits, for reports and the batch-size check. */
export function webgpuDeviceLimits(backend: unknown = tf.backend()): { maxBufferSize: number; maxStorageBufferBindingSize: number } | null {
  const device = (backend as Partial<WebGpuBackendInternals>).device;
  if (!device) return null;
  return { maxBufferSize: device.limits.maxBufferSize ?? 0, maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize ?? 0 };
}
