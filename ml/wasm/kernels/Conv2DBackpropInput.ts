/**
 * Conv2DBackpropInput for the wasm backend, replacing the stock kernel: that one is a plain C++ loop,
 * 10-15x slower than an XNNPACK convolution of the same size.
 *
 * The input gradient of a stride-1 convolution is the convolution of the output gradient with the
 * filter flipped in space and transposed in channels. For stride s, each of the s x s output phases
 * (pixels y with the same (y + padTop) mod s) only meets the filter taps of that phase, so dx splits
 * into s² stride-1 convolutions with sub-filters (the sub-pixel method), interleaved afterwards. This
 * avoids convolving the s²-times larger zero-dilated gradient.
 */
import * as tf from '@tensorflow/tfjs';
import { allocate, conv2d, f32, release, runStock, upload, type Attrs, type BackendWasm, type TensorInfo } from '../heap.js';

interface Phase {
  /** First output row/column of the phase, and how many it has. */
  first: number;
  count: number;
  /** Filter taps of the phase, in the order the convolution applies them (reversed). */
  taps: number[];
  /**
   * Padding before the output gradient so that output u of the phase lines up with dx[first + s·u];
   * where that would be negative, the convolution starts `skip` outputs early and those are dropped.
   */
  padBefore: number;
  skip: number;
}

/** The phases of one spatial axis: dx[y] = Σ_t dy[m − t]·w[ρ + s·t], with y + pad = s·m + ρ. */
function phases(size: number, kernel: number, stride: number, pad: number): Phase[] {
  const result: Phase[] = [];
  for (let rho = 0; rho < stride; rho++) {
    const first = (((rho - pad) % stride) + stride) % stride;
    const count = first < size ? Math.ceil((size - first) / stride) : 0;
    const taps: number[] = [];
    for (let a = rho; a < kernel; a += stride) taps.unshift(a);
    const firstM = (first + pad - rho) / stride;
    const padBefore = taps.length - 1 - firstM;
    if (count > 0) result.push({ first, count, taps, padBefore: Math.max(0, padBefore), skip: Math.max(0, -padBefore) });
  }
  return result;
}

/** Sub-filter [ty, tx, Co, Ci] of one phase, from the forward filter [kh, kw, Ci, Co]. */
function phaseFilter(w: Float32Array, kw: number, ci: number, co: number, rows: number[], cols: number[]): Float32Array {
  const out = new Float32Array(rows.length * cols.length * ci * co);
  let o = 0;
  for (const a of rows) {
    for (const b of cols) {
      const tap = (a * kw + b) * ci * co;
      for (let q = 0; q < co; q++) {
        for (let c = 0; c < ci; c++) out[o++] = w[tap + c * co + q];
      }
    }
  }
  return out;
}

export function conv2DBackpropInput(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: Attrs }): TensorInfo {
  const backend = args.backend as BackendWasm;
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const attrs = args.attrs ?? {};
  const { strides, pad, dimRoundingMode, dataFormat, inputShape } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  if (dataFormat === 'NCHW') return runStock(tf.Conv2DBackpropInput, backend, { dy, filter }, attrs);
  const info = tf.backend_util.computeConv2DInfo(
    inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: ho, outWidth: wo, outChannels: co } = info;
  const rowPhases = phases(h, info.filterHeight, info.strideHeight, info.padInfo.top);
  const colPhases = phases(w, info.filterWidth, info.strideWidth, info.padInfo.left);

  const weights = f32(backend, filter).slice();
  const single = rowPhases.length === 1 && colPhases.length === 1 && info.strideHeight === 1 && info.strideWidth === 1;
  let dx: TensorInfo | null = single ? null : allocate(backend, [n, h, w, ci], true);
  for (const rp of rowPhases) {
    for (const cp of colPhases) {
      if (rp.taps.length === 0 || cp.taps.length === 0) continue;
      const sub = upload(backend, phaseFilter(weights, info.filterWidth, ci, co, rp.taps, cp.taps), [rp.taps.length, cp.taps.length, co, ci]);
      const padAfterRows = rp.skip + rp.count - ho + rp.taps.length - 1 - rp.padBefore;
      const padAfterCols = cp.skip + cp.count - wo + cp.taps.length - 1 - cp.padBefore;
      const part = conv2d(backend, dy, sub, {
        pad: [[0, 0], [rp.padBefore, Math.max(0, padAfterRows)], [cp.padBefore, Math.max(0, padAfterCols)], [0, 0]],
      });
      release(backend, sub);
      if (single && padAfterRows >= 0 && padAfterCols >= 0 && rp.skip === 0 && cp.skip === 0) return part;
      if (!dx) dx = allocate(backend, [n, h, w, ci], true);
      interleave(f32(backend, part), part.shape, f32(backend, dx), [n, h, w, ci], rp, cp, info.strideHeight, info.strideWidth);
      release(backend, part);
    }
  }
  return dx!;
}

/** Writes phase output [n, ≥rows, ≥cols, ci] into dx at rows first + s·u and columns first + s·v. */
function interleave(src: Float32Array, srcShape: number[], dst: Float32Array, dxShape: number[], rp: Phase, cp: Phase, sh: number, sw: number): void {
  const [n, h, w, ci] = dxShape;
  const [, sRows, sCols] = srcShape;
  for (let b = 0; b < n; b++) {
    for (let u = 0; u < rp.count; u++) {
      const y = rp.first + sh * u;
      let from = ((b * sRows + u + rp.skip) * sCols + cp.skip) * ci;
      let to = ((b * h + y) * w + cp.first) * ci;
      if (sw === 1 && cp.first === 0) {
        dst.set(src.subarray(from, from + cp.count * ci), to);
        continue;
      }
      for (let v = 0; v < cp.count; v++) {
        for (let c = 0; c < ci; c++) dst[to + c] = src[from + c];
        from += ci;
        to += sw * ci;
      }
    }
  }
}

export const conv2DBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput,
};
