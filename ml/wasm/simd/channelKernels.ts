/**
 * SIMD loops over NHWC tensors on the tfjs wasm heap, for the passes of the fused BatchNorm+ReLU
 * kernels. In NHWC the channel is the fastest axis, so a tensor is rows of C channels and every
 * per-channel quantity is a C-vector walked in step with the data, four channels per instruction.
 * Needs C to be a multiple of 4 (callers fall back to JavaScript otherwise).
 *
 * All pointers are byte offsets into the backend's heap; `bytes` is the data length in bytes and
 * `cbytes` = 4·C. Per-channel vectors (sums, factors) are C floats on the heap too.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { assemble, Code, ValType, type FunctionDef } from './assembler.js';

export interface ChannelKernels {
  /** sum[c] += x, squares[c] += x² over the rows of x. */
  channelSums(x: number, bytes: number, cbytes: number, sum: number, squares: number): void;
  /** y = max(0, x·scale[c] + shift[c]). */
  scaleShiftRelu(x: number, y: number, bytes: number, cbytes: number, scale: number, shift: number): void;
  /** With dz = dy·[y > 0]: sumDz[c] += dz, sumDzX[c] += dz·x. */
  reluGradSums(dy: number, x: number, y: number, bytes: number, cbytes: number, sumDz: number, sumDzX: number): void;
  /** dx = a[c]·dz + b[c]·(x − mean[c]) + k[c], dz = dy·[y > 0]. */
  reluGradApply(dy: number, x: number, y: number, dx: number, bytes: number, cbytes: number, a: number, b: number, mean: number, k: number): void;
}

const { i32, v128 } = { i32: ValType.i32, v128: ValType.v128 };

/**
 * Emits the shared loop: `i` walks the data in 16-byte steps from 0 to `bytes`, `q` walks the channel
 * vectors in step and wraps at `cbytes`. `body` emits one step using them.
 */
function channelLoop(code: Code, locals: { i: number; q: number; bytes: number; cbytes: number }, body: (c: Code) => void): void {
  const { i, q, bytes, cbytes } = locals;
  code.block().get(i).get(bytes).i32GeU().brIf(0).loop();
  body(code);
  // q = (q + 16 == cbytes) ? 0 : q + 16
  code.get(q).i32(16).i32Add().set(q);
  code.i32(0).get(q).get(q).get(cbytes).i32Eq().select().set(q);
  code.get(i).i32(16).i32Add().tee(i).get(bytes).i32LtU().brIf(0);
  code.end().end();
}

/** *(base + q) += value (both v128); `value` emits the value. */
function accumulate(code: Code, base: number, q: number, scratch: number, value: (c: Code) => void): void {
  code.get(base).get(q).i32Add().tee(scratch);
  code.get(scratch).v128Load();
  value(code);
  code.f32x4Add().v128Store();
}

function channelSums(): FunctionDef {
  // params: x, bytes, cbytes, sum, squares; locals: i, q, p, v
  const [x, bytes, cbytes, sum, squares, i, q, p, v] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const code = new Code();
  channelLoop(code, { i, q, bytes, cbytes }, (c) => {
    c.get(x).get(i).i32Add().v128Load().set(v);
    accumulate(c, sum, q, p, (e) => e.get(v));
    accumulate(c, squares, q, p, (e) => e.get(v).get(v).f32x4Mul());
  });
  return { name: 'channelSums', params: [i32, i32, i32, i32, i32], locals: [i32, i32, i32, v128], body: code };
}

function scaleShiftRelu(): FunctionDef {
  // params: x, y, bytes, cbytes, scale, shift; locals: i, q, zero
  const [x, y, bytes, cbytes, scale, shift, i, q, zero] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const code = new Code();
  code.f32(0).f32x4Splat().set(zero);
  channelLoop(code, { i, q, bytes, cbytes }, (c) => {
    c.get(y).get(i).i32Add();
    c.get(x).get(i).i32Add().v128Load();
    c.get(scale).get(q).i32Add().v128Load().f32x4Mul();
    c.get(shift).get(q).i32Add().v128Load().f32x4Add();
    c.get(zero).f32x4Max().v128Store();
  });
  return { name: 'scaleShiftRelu', params: [i32, i32, i32, i32, i32, i32], locals: [i32, i32, v128], body: code };
}

/** Pushes dz = dy·[y > 0] for the current step. */
function reluMaskedGradient(c: Code, dy: number, y: number, i: number, zero: number): void {
  c.get(dy).get(i).i32Add().v128Load();
  c.get(y).get(i).i32Add().v128Load().get(zero).f32x4Gt();
  c.v128And();
}

function reluGradSums(): FunctionDef {
  // params: dy, x, y, bytes, cbytes, sumDz, sumDzX; locals: i, q, p, dz, zero
  const [dy, x, y, bytes, cbytes, sumDz, sumDzX, i, q, p, dz, zero] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const code = new Code();
  code.f32(0).f32x4Splat().set(zero);
  channelLoop(code, { i, q, bytes, cbytes }, (c) => {
    reluMaskedGradient(c, dy, y, i, zero);
    c.set(dz);
    accumulate(c, sumDz, q, p, (e) => e.get(dz));
    accumulate(c, sumDzX, q, p, (e) => e.get(dz).get(x).get(i).i32Add().v128Load().f32x4Mul());
  });
  return { name: 'reluGradSums', params: [i32, i32, i32, i32, i32, i32, i32], locals: [i32, i32, i32, v128, v128], body: code };
}

function reluGradApply(): FunctionDef {
  // params: dy, x, y, dx, bytes, cbytes, a, b, mean, k; locals: i, q, zero
  const [dy, x, y, dx, bytes, cbytes, a, b, mean, k, i, q, zero] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  const code = new Code();
  code.f32(0).f32x4Splat().set(zero);
  channelLoop(code, { i, q, bytes, cbytes }, (c) => {
    c.get(dx).get(i).i32Add();
    reluMaskedGradient(c, dy, y, i, zero);
    c.get(a).get(q).i32Add().v128Load().f32x4Mul();
    c.get(x).get(i).i32Add().v128Load().get(mean).get(q).i32Add().v128Load().f32x4Sub();
    c.get(b).get(q).i32Add().v128Load().f32x4Mul().f32x4Add();
    c.get(k).get(q).i32Add().v128Load().f32x4Add();
    c.v128Store();
  });
  return { name: 'reluGradApply', params: [i32, i32, i32, i32, i32, i32, i32, i32, i32, i32], locals: [i32, i32, v128], body: code };
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

/** Assembles `functions` against `memory` (shared or not) and returns the instance's exports. */
export function instantiate(functions: FunctionDef[], memory: WasmMemory): Record<string, unknown> {
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const bytes = assemble({ minimum: 1, shared, maximum: shared ? 65536 : undefined }, functions);
  const api = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
  return new api.Instance(new api.Module(bytes), { env: { memory } }).exports;
}

/** The backend's WebAssembly.Memory: imported in the threaded build, exported in the others. */
export function memoryOf(backend: BackendWasm): WasmMemory | undefined {
  const module = backend.wasm as unknown as EmscriptenMemory;
  return module.wasmMemory ?? module.asm?.memory;
}

const instances = new WeakMap<BackendWasm, ChannelKernels | null>();

/**
 * The kernels bound to `backend`'s memory, or null where they cannot run (no SIMD, or a memory this
 * code cannot find); callers then use their JavaScript loops.
 */
export function channelKernels(backend: BackendWasm): ChannelKernels | null {
  if (instances.has(backend)) return instances.get(backend)!;
  let kernels: ChannelKernels | null = null;
  try {
    const memory = memoryOf(backend);
    if (memory) {
      kernels = instantiate([channelSums(), scaleShiftRelu(), reluGradSums(), reluGradApply()], memory) as unknown as ChannelKernels;
    }
  } catch {
    kernels = null;
  }
  instances.set(backend, kernels);
  return kernels;
}
