/**
 * A register-tiled SIMD kernel for sums of outer products, out[r, c] += Σ_p A[p, r]·B[p, c], over a
 * 2-D grid of pixels p: the filter gradient of a convolution, one filter tap at a time, without the
 * transposes and copies that phrasing it as an XNNPACK convolution needs.
 *
 * One call covers a tile of 4 rows (A channels) by 8 or 4 columns (B channels) over `rows` x `pixels`
 * pixels, keeping the tile's 8 (or 4) accumulator vectors in locals, and adds the tile into `out` at
 * the end. Strides are in bytes: A pixels are `aPixStride` apart (a convolution's stride shows up
 * here) and rows `aRowStride`; B pixels are `outRowStride` apart (B has as many channels as `out` has
 * columns) and rows `bRowStride`.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { Code, ValType, type FunctionDef } from './assembler.js';
import { instantiate, memoryOf } from './channelKernels.js';

export interface GemmKernels {
  outerProductTile4x8(a: number, b: number, out: number, rows: number, pixels: number, aRowStride: number, aPixStride: number, bRowStride: number, outRowStride: number): void;
  outerProductTile4x4(a: number, b: number, out: number, rows: number, pixels: number, aRowStride: number, aPixStride: number, bRowStride: number, outRowStride: number): void;
}

function outerProductTile(columns: 4 | 8): FunctionDef {
  const { i32, v128 } = { i32: ValType.i32, v128: ValType.v128 };
  const [A, B, out, rows, pixels, aRowStride, aPixStride, bRowStride, outRowStride] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [aRow, bRow, aP, bP, j, r] = [9, 10, 11, 12, 13, 14];
  const vectors = columns / 4;
  const accumulators = 4 * vectors;
  const acc = (k: number): number => 15 + k;
  const bv = (v: number): number => 15 + accumulators + v;
  const av = 15 + accumulators + vectors;
  const code = new Code();
  /** Address of the accumulator k's place in `out`: row k / vectors, vector k % vectors. */
  const outAddress = (k: number): void => {
    code.get(out).get(outRowStride).i32(Math.floor(k / vectors)).i32Mul().i32Add();
  };
  for (let k = 0; k < accumulators; k++) {
    outAddress(k);
    code.v128Load(16 * (k % vectors)).set(acc(k));
  }
  code.block();
  code.get(rows).i32Eqz().get(pixels).i32Eqz().i32Add().brIf(0);
  code.get(A).set(aRow).get(B).set(bRow).i32(0).set(r);
  code.loop();
  code.get(aRow).set(aP).get(bRow).set(bP).i32(0).set(j);
  code.loop();
  for (let v = 0; v < vectors; v++) code.get(bP).v128Load(16 * v).set(bv(v));
  for (let row = 0; row < 4; row++) {
    code.get(aP).v128Load32Splat(4 * row).set(av);
    for (let v = 0; v < vectors; v++) {
      const k = row * vectors + v;
      code.get(acc(k)).get(av).get(bv(v)).f32x4Mul().f32x4Add().set(acc(k));
    }
  }
  code.get(aP).get(aPixStride).i32Add().set(aP);
  code.get(bP).get(outRowStride).i32Add().set(bP);
  code.get(j).i32(1).i32Add().tee(j).get(pixels).i32LtU().brIf(0);
  code.end();
  code.get(aRow).get(aRowStride).i32Add().set(aRow);
  code.get(bRow).get(bRowStride).i32Add().set(bRow);
  code.get(r).i32(1).i32Add().tee(r).get(rows).i32LtU().brIf(0);
  code.end();
  code.end();
  for (let k = 0; k < accumulators; k++) {
    outAddress(k);
    code.get(acc(k)).v128Store(16 * (k % vectors));
  }
  return {
    name: `outerProductTile4x${columns}`,
    params: [i32, i32, i32, i32, i32, i32, i32, i32, i32],
    locals: [i32, i32, i32, i32, i32, i32, ...Array<ValType>(accumulators + vectors + 1).fill(v128)],
    body: code,
  };
}

const instances = new WeakMap<BackendWasm, GemmKernels | null>();

export function gemmKernels(backend: BackendWasm): GemmKernels | null {
  if (instances.has(backend)) return instances.get(backend)!;
  let kernels: GemmKernels | null = null;
  try {
    const memory = memoryOf(backend);
    if (memory) {
      kernels = instantiate([outerProductTile(8), outerProductTile(4)], memory) as unknown as GemmKernels;
    }
  } catch {
    kernels = null;
  }
  instances.set(backend, kernels);
  return kernels;
}
