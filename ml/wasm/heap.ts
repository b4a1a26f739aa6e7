/**
 * Helpers for kernels that run on the `wasm` backend's heap: tensor views, temporaries, and calls into the
 * backend's stock kernels (whose XNNPACK operators do the heavy arithmetic for most project kernels).
 *
 * A `TensorInfo` made here is backend-level: the engine does not track it, so every temporary must be
 * released with `release()` before the kernel returns, or the WASM heap leaks.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type { BackendWasm };
export type TensorInfo = tf.TensorInfo;
export type Attrs = tf.NamedAttrMap;

/** The stock kernels the project replaces, captured before they are unregistered (see register.ts). */
const stockKernels = new Map<string, tf.KernelConfig>();

export function rememberStockKernel(config: tf.KernelConfig): void {
  if (!stockKernels.has(config.kernelName)) stockKernels.set(config.kernelName, config);
}

/**
 * The engine runs a kernel's setupFunc (which binds its WASM function) when the backend starts, for the
 * kernels registered at that moment; a replaced stock kernel may have missed it.
 */
const preparedFor = new WeakMap<tf.KernelConfig, BackendWasm>();
function prepare(config: tf.KernelConfig, backend: BackendWasm): void {
  if (!config.setupFunc || preparedFor.get(config) === backend) return;
  if (stockKernels.get(config.kernelName) === config) config.setupFunc(backend);
  preparedFor.set(config, backend);
}

export function stockKernel(name: string): tf.KernelConfig | undefined {
  return stockKernels.get(name);
}

/**
 * Runs a kernel as the backend ships it, even when the project has replaced it: project kernels reuse
 * stock kernels (Conv2D, Transpose, ...) and fall back to the stock version for cases they do not cover.
 */
export function runStock(name: string, backend: BackendWasm, inputs: Record<string, TensorInfo>, attrs: Attrs = {}): TensorInfo {
  const config = stockKernels.get(name) ?? tf.getKernel(name, 'wasm');
  if (!config) throw new Error(`the wasm backend has no '${name}' kernel`);
  prepare(config, backend);
  const out = config.kernelFunc({ inputs, backend, attrs });
  if (Array.isArray(out)) throw new Error(`'${name}' returned ${out.length} tensors where one was expected`);
  return out;
}

export function release(backend: BackendWasm, ...infos: TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/**
 * The same data under another shape. No reference is taken: use it only while `info` is alive, and never
 * release or return it (return `reshapeOutput` instead).
 */
export function view(info: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

/** Hands out a reshaped tensor the caller owns (one more reference on the same buffer, no copy). */
export function reshapeOutput(backend: BackendWasm, info: TensorInfo, shape: number[]): TensorInfo {
  backend.incRef(info.dataId);
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

/**
 * A Float32Array over a tensor's bytes on the heap. Take it after the last allocation of the kernel: a
 * heap growth replaces the underlying buffer and detaches views taken before it.
 */
export function f32(backend: BackendWasm, info: TensorInfo): Float32Array {
  const offset = backend.dataIdMap.get(info.dataId)!.memoryOffset;
  return new Float32Array(heapBuffer(backend), offset, tf.util.sizeFromShape(info.shape));
}

/** The Emscripten module fields the project uses (tfjs types them through @types/emscripten, absent here). */
interface EmscriptenHeap {
  HEAPU8: Uint8Array;
  wasmMemory?: { buffer: ArrayBufferLike };
  asm?: { memory?: { buffer: ArrayBufferLike } };
  _malloc(bytes: number): number;
  _free(pointer: number): void;
}

function emscripten(backend: BackendWasm): EmscriptenHeap {
  return backend.wasm as unknown as EmscriptenHeap;
}

/**
 * The heap's current buffer. Read from the memory itself where possible: in the threaded build another
 * thread may have grown the heap since Emscripten last refreshed its HEAPU8 view.
 */
export function heapBuffer(backend: BackendWasm): ArrayBufferLike {
  const module = emscripten(backend);
  return (module.wasmMemory ?? module.asm?.memory)?.buffer ?? module.HEAPU8.buffer;
}

/**
 * Scratch floats on the heap for per-channel vectors, as byte offsets; `free` releases them all. Views
 * taken before the allocation may be detached by it (see f32).
 */
export function scratch(backend: BackendWasm, floats: number): { pointer: number; free: () => void } {
  const module = emscripten(backend);
  const pointer = module._malloc(Math.max(16, floats * 4)) >>> 0;
  return { pointer, free: () => module._free(pointer) };
}

export function heapF32(backend: BackendWasm, pointer: number, floats: number): Float32Array {
  return new Float32Array(heapBuffer(backend), pointer, floats);
}

export function heapI32(backend: BackendWasm, pointer: number, count: number): Int32Array {
  return new Int32Array(heapBuffer(backend), pointer, count);
}

export function heapOffset(backend: BackendWasm, info: TensorInfo): number {
  return backend.dataIdMap.get(info.dataId)!.memoryOffset;
}

/**
 * A tensor over part of another tensor's buffer (`offset` elements in), without a copy: lets an XNNPACK
 * kernel read a chunk of a larger tensor. Release it with `releaseAlias`, never `release` (which would
 * free memory the alias does not own).
 */
export function alias(backend: BackendWasm, info: TensorInfo, offset: number, shape: number[]): TensorInfo {
  const bytes = heapOffset(backend, info) + offset * 4;
  return backend.makeOutput(shape, 'float32', bytes);
}

export function releaseAlias(backend: BackendWasm, info: TensorInfo): void {
  const data = backend.dataIdMap.get(info.dataId);
  if (!data) return;
  // Unregisters the id on the C++ side too, which drops any XNNPACK operator cached for it.
  backend.wasm.tfjs.disposeData(data.id);
  backend.dataIdMap.delete(info.dataId);
}

/** A new float32 tensor on the heap; with `zero`, cleared (malloc'd memory holds stale values). */
export function allocate(backend: BackendWasm, shape: number[], zero = false): TensorInfo {
  const out = backend.makeOutput(shape, 'float32');
  if (zero) f32(backend, out).fill(0);
  return out;
}

/** A small float32 tensor copied in from JavaScript (filters, per-channel factors). */
export function upload(backend: BackendWasm, values: Float32Array, shape: number[]): TensorInfo {
  return backend.makeOutput(shape, 'float32', undefined, values);
}

export function transpose(backend: BackendWasm, x: TensorInfo, perm: number[]): TensorInfo {
  return runStock('Transpose', backend, { x }, { perm });
}

export type Padding = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;

/** Conv2D through the stock kernel (XNNPACK). Explicit padding must be non-negative. */
export function conv2d(
  backend: BackendWasm,
  x: TensorInfo,
  filter: TensorInfo,
  options: { strides?: number | [number, number]; dilations?: number | [number, number]; pad: Padding },
): TensorInfo {
  return runStock('Conv2D', backend, { x, filter }, {
    strides: options.strides ?? 1,
    dilations: options.dilations ?? 1,
    pad: options.pad as Attrs[string],
    dataFormat: 'NHWC',
    dimRoundingMode: undefined as unknown as Attrs[string],
  });
}
