/**
 * The gradient of max pooling as one SIMD loop on the wasm heap, four channels at a time: for each
 * output pixel, scan its window keeping the running maximum and its byte offset per lane (the first
 * strictly greater value in row-major window order wins, as on the `cpu` backend; padding is skipped),
 * then add the output gradient at those offsets. NHWC with C a multiple of 4; `dx` must start zeroed.
 */
import { Code, ValType, type FunctionDef } from './assembler.js';

export interface PoolKernels {
  maxPoolGrad(
    x: number, dy: number, dx: number, batch: number, inHeight: number, inWidth: number, cbytes: number,
    outHeight: number, outWidth: number, strideHeight: number, strideWidth: number,
    filterHeight: number, filterWidth: number, padTop: number, padLeft: number,
  ): void;
}

function maxPoolGrad(): FunctionDef {
  const { i32, v128 } = { i32: ValType.i32, v128: ValType.v128 };
  const [x, dy, dx, batch, inH, inW, cbytes, outH, outW, sH, sW, fH, fW, padTop, padLeft] = Array.from({ length: 15 }, (_, k) => k);
  const [n, i, j, top, left, r0, r1, c0, c1, q, r, c, addr, image, dyp, w] = Array.from({ length: 16 }, (_, k) => 15 + k);
  const [best, where, v, m, lanes, negInf, minusOne, g] = Array.from({ length: 8 }, (_, k) => 31 + k);
  const code = new Code();
  /** start = max(0, origin), end = min(size, origin + filter), origin being a window's first row or column. */
  const clip = (start: number, end: number, origin: number, size: number, filter: number): void => {
    code.get(origin).i32(0).get(origin).i32(0).i32GtS().select().set(start);
    code.get(origin).get(filter).i32Add().tee(end).get(size).get(end).get(size).i32LtS().select().set(end);
  };
  code.v128ConstI32([0, 4, 8, 12]).set(lanes);
  code.f32(Number.NEGATIVE_INFINITY).f32x4Splat().set(negInf);
  code.i32(-1).i32x4Splat().set(minusOne);
  code.get(dy).set(dyp).i32(0).set(image).i32(0).set(n);
  code.loop(); // images
  code.i32(0).set(i);
  code.loop(); // output rows
  code.get(i).get(sH).i32Mul().get(padTop).i32Sub().set(top);
  clip(r0, r1, top, inH, fH);
  code.i32(0).set(j);
  code.loop(); // output columns
  code.get(j).get(sW).i32Mul().get(padLeft).i32Sub().set(left);
  clip(c0, c1, left, inW, fW);
  code.i32(0).set(q);
  code.loop(); // channel vectors
  code.get(negInf).set(best).get(minusOne).set(where);
  code.block().get(r0).get(r1).i32GeS().brIf(0);
  code.get(r0).set(r);
  code.loop(); // window rows
  code.block().get(c0).get(c1).i32GeS().brIf(0);
  code.get(c0).set(c);
  code.loop(); // window columns
  code.get(r).get(inW).i32Mul().get(c).i32Add().get(cbytes).i32Mul().get(image).i32Add().get(q).i32Add().set(addr);
  code.get(x).get(addr).i32Add().v128Load().set(v);
  code.get(v).get(best).f32x4Gt().set(m);
  code.get(v).get(best).get(m).v128Bitselect().set(best);
  code.get(addr).i32x4Splat().get(lanes).i32x4Add().get(where).get(m).v128Bitselect().set(where);
  code.get(c).i32(1).i32Add().tee(c).get(c1).i32LtS().brIf(0);
  code.end().end();
  code.get(r).i32(1).i32Add().tee(r).get(r1).i32LtS().brIf(0);
  code.end().end();
  code.get(dyp).get(q).i32Add().v128Load().set(g);
  for (let lane = 0; lane < 4; lane++) {
    code.block();
    code.get(where).i32x4ExtractLane(lane).tee(w).i32(0).i32LtS().brIf(0);
    code.get(dx).get(w).i32Add();
    code.get(dx).get(w).i32Add().f32Load().get(g).f32x4ExtractLane(lane).f32Add();
    code.f32Store();
    code.end();
  }
  code.get(q).i32(16).i32Add().tee(q).get(cbytes).i32LtU().brIf(0);
  code.end();
  code.get(dyp).get(cbytes).i32Add().set(dyp);
  code.get(j).i32(1).i32Add().tee(j).get(outW).i32LtS().brIf(0);
  code.end();
  code.get(i).i32(1).i32Add().tee(i).get(outH).i32LtS().brIf(0);
  code.end();
  code.get(image).get(inH).get(inW).i32Mul().get(cbytes).i32Mul().i32Add().set(image);
  code.get(n).i32(1).i32Add().tee(n).get(batch).i32LtS().brIf(0);
  code.end();
  return {
    name: 'maxPoolGrad',
    params: Array<ValType>(15).fill(i32),
    locals: [...Array<ValType>(16).fill(i32), ...Array<ValType>(8).fill(v128)],
    body: code,
  };
}

export function poolFunctions(): FunctionDef[] {
  return [maxPoolGrad()];
}
