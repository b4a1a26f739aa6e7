/**
 * Conv2DBackpropFilter for the wasm backend, which ships without it (so tfjs-backend-wasm 4.22 cannot
 * train a convolution at all). The gradient of the filter is a correlation of the input with the output
 * gradient, summed over every pixel of the batch; each case below rewrites it as a convolution XNNPACK
 * already does fast:
 *
 * - channel counts that are multiples of 4 (every layer of the Residual Attention variants but the
 *   stem): per filter tap, a sum over the batch's pixels of outer products x[p, :]ᵀ·dy[p, :], straight
 *   from the NHWC tensors by a register-tiled SIMD kernel (simd/gemmKernels.ts). No copies at all; the
 *   XNNPACK phrasings below need transposes that cost as much as the arithmetic.
 * - 1x1, stride 1, no padding: a matrix product over the N·H·W pixels, done as a 1x1 Conv2D whose
 *   "channels" are pixels, in chunks of pixels.
 * - fewer than 8 input channels (an RGB or grey stem): im2col of the input, then the same product.
 * - anything else: one Conv2D of the input transposed to [Ci, H, W, N] with the output gradient
 *   transposed to [Ho, Wo, N, Co] as the filter; the forward stride becomes a dilation.
 */
import * as tf from '@tensorflow/tfjs';
import {
  alias, allocate, conv2d, f32, heapF32, heapI32, heapOffset, release, releaseAlias, scratch, transpose, view,
  type Attrs, type BackendWasm, type TensorInfo,
} from '../heap.js';
import { partsFor, shareOut, simdKernels, type SimdKernels } from '../simd/module.js';

/**
 * Pixels per chunk of the 1x1 product. Chunking keeps the packed operand of one product in the CPU's
 * L2 cache instead of streaming a 65,536-row operand from memory for every tile of the output.
 */
const PIXELS_PER_CHUNK = 4096;

export interface BackpropFilterGeometry {
  batch: number; inHeight: number; inWidth: number; inChannels: number;
  outHeight: number; outWidth: number; outChannels: number;
  filterHeight: number; filterWidth: number;
  strideHeight: number; strideWidth: number;
  padTop: number; padLeft: number;
}

export function backpropFilterGeometry(xShape: number[], dyShape: number[], filterShape: number[], attrs: Attrs): BackpropFilterGeometry {
  const { strides, pad, dimRoundingMode, dataFormat } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  if (dataFormat === 'NCHW') throw new Error("the wasm backend's Conv2DBackpropFilter supports NHWC only (as its Conv2D does)");
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number],
    strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  if (info.outHeight !== dyShape[1] || info.outWidth !== dyShape[2]) {
    throw new Error(`Conv2DBackpropFilter: dy has shape [${dyShape}], the convolution gives ${info.outHeight}x${info.outWidth}`);
  }
  return {
    batch: info.batchSize, inHeight: info.inHeight, inWidth: info.inWidth, inChannels: info.inChannels,
    outHeight: info.outHeight, outWidth: info.outWidth, outChannels: info.outChannels,
    filterHeight: info.filterHeight, filterWidth: info.filterWidth,
    strideHeight: info.strideHeight, strideWidth: info.strideWidth,
    padTop: info.padInfo.top, padLeft: info.padInfo.left,
  };
}

/** dW[ci, co] = Σ_p x[p, ci]·dy[p, co] over P pixels, for row-major [P, Ci] and [P, Co] operands. */
export function pixelProduct(backend: BackendWasm, x: TensorInfo, dy: TensorInfo, pixels: number, ci: number, co: number): Float32Array {
  // The operand with fewer channels becomes the filter (packing it is the expensive step); the other is
  // transposed so that its pixels run along the channel axis.
  const filterIsDy = co <= ci;
  const [rows, cols] = filterIsDy ? [ci, co] : [co, ci];
  const [spread, packed] = filterIsDy ? [x, dy] : [dy, x];
  const sum = new Float32Array(rows * cols);
  for (let start = 0; start < pixels; start += PIXELS_PER_CHUNK) {
    const count = Math.min(PIXELS_PER_CHUNK, pixels - start);
    const spreadChunk = alias(backend, spread, start * rows, [count, rows]);
    const packedChunk = alias(backend, packed, start * cols, [1, 1, count, cols]);
    const spreadT = transpose(backend, spreadChunk, [1, 0]);
    const part = conv2d(backend, view(spreadT, [1, 1, rows, count]), packedChunk, { pad: 'valid' });
    const values = f32(backend, part);
    for (let i = 0; i < sum.length; i++) sum[i] += values[i];
    release(backend, spreadT, part);
    releaseAlias(backend, spreadChunk);
    releaseAlias(backend, packedChunk);
  }
  if (filterIsDy) return sum;
  const out = new Float32Array(ci * co);
  for (let r = 0; r < co; r++) for (let c = 0; c < ci; c++) out[c * co + r] = sum[r * ci + c];
  return out;
}

/**
 * Transposed im2col: row k = (a, b, c) of the result holds, for every output pixel p, the input value
 * that filter tap (a, b) on channel c multiplies (0 in the padding).
 */
function im2colTransposed(input: Float32Array, g: BackpropFilterGeometry, out: Float32Array): void {
  const { batch, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth } = g;
  const pixels = batch * outHeight * outWidth;
  for (let a = 0; a < filterHeight; a++) {
    for (let b = 0; b < filterWidth; b++) {
      for (let c = 0; c < inChannels; c++) {
        const row = ((a * filterWidth + b) * inChannels + c) * pixels;
        let p = row;
        for (let n = 0; n < batch; n++) {
          for (let i = 0; i < outHeight; i++) {
            const y = i * g.strideHeight + a - g.padTop;
            if (y < 0 || y >= inHeight) {
              out.fill(0, p, p + outWidth);
              p += outWidth;
              continue;
            }
            const base = ((n * inHeight + y) * inWidth) * inChannels + c;
            for (let j = 0; j < outWidth; j++) {
              const x = j * g.strideWidth + b - g.padLeft;
              out[p++] = x >= 0 && x < inWidth ? input[base + x * inChannels] : 0;
            }
          }
        }
      }
    }
  }
}

function viaIm2col(backend: BackendWasm, x: TensorInfo, dy: TensorInfo, g: BackpropFilterGeometry): TensorInfo {
  const taps = g.filterHeight * g.filterWidth * g.inChannels;
  const pixels = g.batch * g.outHeight * g.outWidth;
  const patches = allocate(backend, [1, 1, taps, pixels]);
  im2colTransposed(f32(backend, x), g, f32(backend, patches));
  const out = conv2d(backend, patches, view(dy, [1, 1, pixels, g.outChannels]), { pad: 'valid' });
  release(backend, patches);
  return { ...out, shape: [g.filterHeight, g.filterWidth, g.inChannels, g.outChannels] };
}

function viaTransposedConv(backend: BackendWasm, x: TensorInfo, dy: TensorInfo, g: BackpropFilterGeometry): TensorInfo {
  const { filterHeight: kh, filterWidth: kw, inChannels: ci, outChannels: co } = g;
  // Rows past the last one the forward convolution read give negative padding; convolve them anyway
  // and drop the extra output rows, which is cheaper than cropping the transposed input.
  const padBottom = kh - g.inHeight - g.padTop + (g.outHeight - 1) * g.strideHeight;
  const padRight = kw - g.inWidth - g.padLeft + (g.outWidth - 1) * g.strideWidth;
  const xT = transpose(backend, x, [3, 1, 2, 0]);
  const dyT = transpose(backend, dy, [1, 2, 0, 3]);
  const raw = conv2d(backend, xT, dyT, {
    dilations: [g.strideHeight, g.strideWidth],
    pad: [[0, 0], [g.padTop, Math.max(0, padBottom)], [g.padLeft, Math.max(0, padRight)], [0, 0]],
  });
  release(backend, xT, dyT);
  const [, rh, rw] = raw.shape;
  const out = allocate(backend, [kh, kw, ci, co]);
  const src = f32(backend, raw);
  const dst = f32(backend, out);
  // raw is [Ci, rh, rw, Co]; the filter gradient is [kh, kw, Ci, Co].
  for (let a = 0; a < kh; a++) {
    for (let b = 0; b < kw; b++) {
      for (let c = 0; c < ci; c++) {
        const from = ((c * rh + a) * rw + b) * co;
        dst.set(src.subarray(from, from + co), ((a * kw + b) * ci + c) * co);
      }
    }
  }
  release(backend, raw);
  return out;
}

/** First and one-past-last output index whose input index o·stride + tap − pad lies in [0, size). */
function validRange(size: number, outSize: number, stride: number, tap: number, pad: number): [number, number] {
  const first = Math.max(0, Math.ceil((pad - tap) / stride));
  const last = Math.min(outSize, Math.floor((size - 1 + pad - tap) / stride) + 1);
  return [first, Math.max(first, last)];
}

/**
 * With Ci not a multiple of 4 (an RGB stem), tiles still take 4 input channels: the extra rows read the
 * next pixel's channels (at the very end, up to 3 floats past x, inside the heap) and land in padding
 * rows of a [kh, kw, Ci rounded up to 4, Co] result that is then compacted.
 *
 * One WebAssembly call walks every image, tap and tile (simd/gemmKernels.ts). With helper threads the
 * column or row tiles are shared out (the parts write disjoint blocks of the result), or, with fewer
 * than 8 tiles either way, the images, each part summing into its own buffer.
 */
function viaOuterProducts(backend: BackendWasm, simd: SimdKernels, x: TensorInfo, dy: TensorInfo, g: BackpropFilterGeometry): TensorInfo {
  const { batch, inHeight: h, inWidth: w, inChannels: ci, outHeight: ho, outWidth: wo, outChannels: co } = g;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = g;
  const rowsPerTap = Math.ceil(ci / 4) * 4;
  const out = allocate(backend, [kh, kw, rowsPerTap, co], true);
  const [xBase, dyBase, outBase] = [heapOffset(backend, x), heapOffset(backend, dy), heapOffset(backend, out)];
  const columns = co % 8 === 0 ? 8 : 4;
  const records: number[] = [];
  for (let a = 0; a < kh; a++) {
    const [i0, i1] = validRange(h, ho, sh, a, g.padTop);
    if (i1 === i0) continue;
    for (let b = 0; b < kw; b++) {
      const [j0, j1] = validRange(w, wo, sw, b, g.padLeft);
      if (j1 === j0) continue;
      records.push(
        xBase + ((i0 * sh + a - g.padTop) * w + j0 * sw + b - g.padLeft) * ci * 4,
        dyBase + (i0 * wo + j0) * co * 4,
        outBase + (a * kw + b) * rowsPerTap * co * 4,
        i1 - i0,
        j1 - j0,
      );
    }
  }
  if (records.length > 0) {
    const name = columns === 8 ? 'backpropFilterTiles4x8' : 'backpropFilterTiles4x4';
    const [rowBlocks, colBlocks, taps] = [rowsPerTap / 4, co / columns, records.length / 5];
    const [aImage, bImage] = [h * w * ci * 4, ho * wo * co * 4];
    const strides = [sh * w * ci * 4, sw * ci * 4, wo * co * 4, co * 4];
    const outFloats = kh * kw * rowsPerTap * co;
    const parts = partsFor(simd, { multiplyAdds: batch * ho * wo * kh * kw * ci * co });
    const scratches: { pointer: number; free: () => void }[] = [];
    /** The tap table for images from `firstImage` on, accumulating into the result at `outPointer`. */
    const tableFor = (firstImage: number, outPointer: number): number => {
      const table = scratch(backend, records.length);
      scratches.push(table);
      const view = heapI32(backend, table.pointer, records.length);
      for (let k = 0; k < records.length; k += 5) {
        view[k] = records[k] + firstImage * aImage;
        view[k + 1] = records[k + 1] + firstImage * bImage;
        view[k + 2] = records[k + 2] - outBase + outPointer;
        view[k + 3] = records[k + 3];
        view[k + 4] = records[k + 4];
      }
      return table.pointer;
    };
    // Image by image inside each part, so one image's input and gradient stay in cache across taps.
    try {
      if (parts > 1 && Math.max(rowBlocks, colBlocks) < 8 && batch >= 2 * parts) {
        // Too few tiles to balance: split the images evenly (a fixed split keeps the sum order, and so
        // training, reproducible), each helper into its own buffer, added in part order.
        const partOutputs: number[] = [];
        shareOut(simd, name, batch, parts, (n0, n1, part) => {
          let target = outBase;
          if (part > 0) {
            const buffer = scratch(backend, outFloats);
            scratches.push(buffer);
            heapF32(backend, buffer.pointer, outFloats).fill(0);
            target = buffer.pointer;
            partOutputs.push(target);
          }
          return [tableFor(n0, target), taps, n1 - n0, aImage, bImage, 0, ci, 0, co, ...strides];
        }, { balance: false });
        const sum = heapF32(backend, outBase, outFloats);
        for (const pointer of partOutputs) {
          const part = heapF32(backend, pointer, outFloats);
          for (let i = 0; i < outFloats; i++) sum[i] += part[i];
        }
      } else {
        // Tiles write disjoint blocks of the result: any split gives the same bits.
        const fixed = [tableFor(0, outBase), taps, batch, aImage, bImage];
        if (colBlocks >= rowBlocks) {
          shareOut(simd, name, colBlocks, parts, (c0, c1) => [...fixed, 0, ci, c0 * columns, c1 * columns, ...strides]);
        } else {
          shareOut(simd, name, rowBlocks, parts, (r0, r1) => [...fixed, r0 * 4, Math.min(ci, r1 * 4), 0, co, ...strides]);
        }
      }
    } finally {
      for (const allocation of scratches) allocation.free();
    }
  }
  if (rowsPerTap === ci) return out;
  const compact = allocate(backend, [kh, kw, ci, co]);
  const [src, dst] = [f32(backend, out), f32(backend, compact)];
  for (let tap = 0; tap < kh * kw; tap++) {
    dst.set(src.subarray(tap * rowsPerTap * co, (tap * rowsPerTap + ci) * co), tap * ci * co);
  }
  release(backend, out);
  return compact;
}

export function conv2DBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: Attrs }): TensorInfo {
  const backend = args.backend as BackendWasm;
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const attrs = args.attrs ?? {};
  const g = backpropFilterGeometry(x.shape, dy.shape, attrs.filterShape as number[], attrs);
  const simd = g.outChannels % 4 === 0 ? simdKernels(backend) : null;
  if (simd) return viaOuterProducts(backend, simd, x, dy, g);
  const pointwise = g.filterHeight === 1 && g.filterWidth === 1 && g.strideHeight === 1 && g.strideWidth === 1 &&
    g.padTop === 0 && g.padLeft === 0 && g.outHeight === g.inHeight && g.outWidth === g.inWidth;
  if (pointwise) {
    const pixels = g.batch * g.inHeight * g.inWidth;
    const values = pixelProduct(backend, x, dy, pixels, g.inChannels, g.outChannels);
    return backend.makeOutput([1, 1, g.inChannels, g.outChannels], 'float32', undefined, values);
  }
  if (g.inChannels < 8) return viaIm2col(backend, x, dy, g);
  return viaTransposedConv(backend, x, dy, g);
}

export const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter,
};
