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
import { Code, ValType, type FunctionDef } from './assembler.js';

type Tile = (a: number, b: number, out: number, rows: number, pixels: number, aRowStride: number, aPixStride: number, bRowStride: number, outRowStride: number) => void;
type Tiles = (
  table: number, taps: number, batch: number, aImageStride: number, bImageStride: number,
  rowBegin: number, rowEnd: number, colBegin: number, colEnd: number,
  aRowStride: number, aPixStride: number, bRowStride: number, outRowStride: number,
) => void;

export interface GemmKernels {
  outerProductTile4x8: Tile;
  outerProductTile4x4: Tile;
  backpropFilterTiles4x8: Tiles;
  backpropFilterTiles4x4: Tiles;
}

function outerProductTile(columns: 4 | 8, fma: boolean): FunctionDef {
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
      if (fma) code.get(av).get(bv(v)).get(acc(k)).f32x4RelaxedMadd().set(acc(k));
      else code.get(acc(k)).get(av).get(bv(v)).f32x4Mul().f32x4Add().set(acc(k));
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

/**
 * The whole filter gradient of one convolution over a range of tiles, calling the tile function
 * (`tileIndex` in the module) for every image, filter tap, row block and column block, so a kernel call
 * is one WebAssembly call instead of one per tile, and the range can go to a helper thread.
 *
 * `table` holds one record per filter tap that reads any pixel: 5 i32 of (A start, B start, out start,
 * rows, pixels), the starts being byte addresses for image 0; image n adds n·aImageStride and
 * n·bImageStride. Rows [rowBegin, rowEnd) step 4 and columns [colBegin, colEnd) step `columns` are
 * channel indices; both ranges and `taps` and `batch` must be non-empty.
 */
function backpropFilterTiles(columns: 4 | 8, tileIndex: number): FunctionDef {
  const { i32 } = { i32: ValType.i32 };
  const [table, taps, batch, aImageStride, bImageStride, rowBegin, rowEnd, colBegin, colEnd] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [aRowStride, aPixStride, bRowStride, outRowStride] = [9, 10, 11, 12];
  const [n, t, rec, aStart, bStart, outStart, rows, pixels, r, c, aImage, bImage] = [13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24];
  const code = new Code();
  code.i32(0).set(n).i32(0).set(aImage).i32(0).set(bImage);
  code.loop();
  code.get(table).set(rec).i32(0).set(t);
  code.loop();
  code.get(rec).i32Load(0).get(aImage).i32Add().set(aStart);
  code.get(rec).i32Load(4).get(bImage).i32Add().set(bStart);
  code.get(rec).i32Load(8).set(outStart);
  code.get(rec).i32Load(12).set(rows);
  code.get(rec).i32Load(16).set(pixels);
  code.get(rowBegin).set(r);
  code.loop();
  code.get(colBegin).set(c);
  code.loop();
  code.get(aStart).get(r).i32(4).i32Mul().i32Add();
  code.get(bStart).get(c).i32(4).i32Mul().i32Add();
  code.get(outStart).get(r).get(outRowStride).i32Mul().i32Add().get(c).i32(4).i32Mul().i32Add();
  code.get(rows).get(pixels).get(aRowStride).get(aPixStride).get(bRowStride).get(outRowStride);
  code.call(tileIndex);
  code.get(c).i32(columns).i32Add().tee(c).get(colEnd).i32LtU().brIf(0);
  code.end();
  code.get(r).i32(4).i32Add().tee(r).get(rowEnd).i32LtU().brIf(0);
  code.end();
  code.get(rec).i32(20).i32Add().set(rec);
  code.get(t).i32(1).i32Add().tee(t).get(taps).i32LtU().brIf(0);
  code.end();
  code.get(aImage).get(aImageStride).i32Add().set(aImage);
  code.get(bImage).get(bImageStride).i32Add().set(bImage);
  code.get(n).i32(1).i32Add().tee(n).get(batch).i32LtU().brIf(0);
  code.end();
  return {
    name: `backpropFilterTiles4x${columns}`,
    params: Array<ValType>(13).fill(i32),
    locals: Array<ValType>(12).fill(i32),
    body: code,
  };
}

/**
 * The functions of the gemm kernels, for a module where they start at function index `base`; with
 * `fma`, the tiles multiply-add with relaxed SIMD's f32x4.relaxed_madd (one instruction where the CPU
 * has FMA) instead of a multiply and an add.
 */
export function gemmFunctions(base: number, fma = false): FunctionDef[] {
  return [outerProductTile(8, fma), outerProductTile(4, fma), backpropFilterTiles(8, base), backpropFilterTiles(4, base + 1)];
}
