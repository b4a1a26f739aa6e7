/**
 * SIMD loops over NHWC tensors on the tfjs wasm heap, for the passes of the fused BatchNorm+ReLU
 * kernels. In NHWC the channel is the fastest axis, so a tensor is rows of C channels and every
 * per-channel quantity is a C-vector walked in step with the data, four channels per instruction.
 * Needs C to be a multiple of 4 (callers fall back to JavaScript otherwise).
 *
 * All pointers are byte offsets into the backend's heap; `bytes` is the data length in bytes and
 * `cbytes` = 4·C. Per-channel vectors (sums, factors) are C floats on the heap too.
 */
import { Code, ValType, type FunctionDef } from './assembler.js';

export interface ChannelKernels {
  /** sum[c] += x, squares[c] += x² over the rows of x. */
  channelSums(x: number, bytes: number, cbytes: number, sum: number, squares: number): void;
  /** y = max(0, x·scale[c] + shift[c]). */
  scaleShiftRelu(x: number, y: number, bytes: number, cbytes: number, scale: number, shift: number): void;
  /** With dz = dy·[y > 0]: sumDz[c] += dz, sumDzX[c] += dz·x. */
  reluGradSums(dy: number, x: number, y: number, bytes: number, cbytes: number, sumDz: number, sumDzX: number): void;
  /** dx = a[c]·dz + b[c]·(x − mean[c]) + k[c], dz = dy·[y > 0]. */
  reluGradApply(dy: number, x: number, y: number, dx: number, bytes: number, cbytes: number, a: number, b: number, mean: number, k: number): void;
  /** channelSums per block of `blockBytes`, block b into (partials + b·2·cbytes, + cbytes). */
  channelSumsBlocks(x: number, bytes: number, cbytes: number, blockBytes: number, partials: number, blockBegin: number, blockEnd: number): void;
  /** reluGradSums per block, as channelSumsBlocks. */
  reluGradSumsBlocks(dy: number, x: number, y: number, bytes: number, cbytes: number, blockBytes: number, partials: number, blockBegin: number, blockEnd: number): void;
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

/**
 * A sums kernel over blocks [blockBegin, blockEnd) of `blockBytes` each, block b adding into its own
 * pair of C-vectors at partials + b·2·cbytes (zeroed by the caller), which the caller adds up in double
 * precision. One call for a whole tensor, and block ranges can go to helper threads.
 * `dataArgs` pointer arguments come before (bytes, cbytes) in the per-block kernel's signature.
 */
function sumsOverBlocks(name: string, kernelIndex: number, dataArgs: number): FunctionDef {
  // params: data pointers…, bytes, cbytes, blockBytes, partials, blockBegin, blockEnd; locals: b, start, p
  const [bytes, cbytes, blockBytes, partials, blockBegin, blockEnd] = [0, 1, 2, 3, 4, 5].map((k) => dataArgs + k);
  const [b, start, p, length] = [0, 1, 2, 3].map((k) => dataArgs + 6 + k);
  const code = new Code();
  code.block().get(blockBegin).get(blockEnd).i32GeU().brIf(0);
  code.get(blockBegin).set(b);
  code.loop();
  code.get(b).get(blockBytes).i32Mul().set(start);
  // length = min(blockBytes, bytes − start)
  code.get(bytes).get(start).i32Sub().tee(length).get(blockBytes).get(length).get(blockBytes).i32LtU().select().set(length);
  code.get(partials).get(b).get(cbytes).i32(2).i32Mul().i32Mul().i32Add().set(p);
  for (let d = 0; d < dataArgs; d++) code.get(d).get(start).i32Add();
  code.get(length).get(cbytes).get(p).get(p).get(cbytes).i32Add();
  code.call(kernelIndex);
  code.get(b).i32(1).i32Add().tee(b).get(blockEnd).i32LtU().brIf(0);
  code.end().end();
  return { name, params: Array<ValType>(dataArgs + 6).fill(i32), locals: [i32, i32, i32, i32], body: code };
}

/** The functions of the channel kernels, in the order of `ChannelKernels`; they must start the module. */
export function channelFunctions(): FunctionDef[] {
  return [
    channelSums(), scaleShiftRelu(), reluGradSums(), reluGradApply(),
    sumsOverBlocks('channelSumsBlocks', 0, 1), sumsOverBlocks('reluGradSumsBlocks', 2, 3),
  ];
}
