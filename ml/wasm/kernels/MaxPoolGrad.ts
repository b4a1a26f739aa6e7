/**
 * MaxPoolGrad for the wasm backend, replacing the stock kernel, which is wrong: its running maximum
 * starts at 0 rather than −∞, so windows whose values are all negative (and 'same' padding, whose
 * border windows it also gets wrong) send the gradient to the wrong pixel, 10-90 % off against the `cpu`
 * backend. This one finds each window's argmax exactly as the `cpu` backend does (the first strictly
 * greater value in row-major window order, padding skipped) and scatters the output gradient there:
 * a SIMD loop (simd/poolKernels.ts) when C is a multiple of 4, JavaScript otherwise.
 */
import * as tf from '@tensorflow/tfjs';
import { allocate, f32, heapOffset, type Attrs, type BackendWasm, type TensorInfo } from '../heap.js';
import { simdKernels } from '../simd/module.js';

export function maxPoolGrad(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: Attrs }): TensorInfo {
  const backend = args.backend as BackendWasm;
  const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = (args.attrs ?? {}) as unknown as tf.MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;

  const dx = allocate(backend, input.shape, true);
  const simd = channels % 4 === 0 ? simdKernels(backend) : null;
  if (simd) {
    simd.kernels.maxPoolGrad(heapOffset(backend, input), heapOffset(backend, dy), heapOffset(backend, dx), batchSize,
      inHeight, inWidth, channels * 4, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth, padTop, padLeft);
    return dx;
  }
  const x = f32(backend, input);
  const g = f32(backend, dy);
  const out = f32(backend, dx);
  // One window at a time, all channels together: channels are contiguous in NHWC.
  const best = new Float32Array(channels);
  const where = new Int32Array(channels);
  let dyIndex = 0;
  for (let n = 0; n < batchSize; n++) {
    const image = n * inHeight * inWidth * channels;
    for (let i = 0; i < outHeight; i++) {
      const top = i * strideHeight - padTop;
      const rowStart = Math.max(0, top);
      const rowEnd = Math.min(inHeight, top + filterHeight);
      for (let j = 0; j < outWidth; j++) {
        const left = j * strideWidth - padLeft;
        const colStart = Math.max(0, left);
        const colEnd = Math.min(inWidth, left + filterWidth);
        best.fill(Number.NEGATIVE_INFINITY);
        where.fill(-1);
        for (let r = rowStart; r < rowEnd; r++) {
          for (let c = colStart; c < colEnd; c++) {
            const base = image + (r * inWidth + c) * channels;
            for (let k = 0; k < channels; k++) {
              const v = x[base + k];
              if (v > best[k]) {
                best[k] = v;
                where[k] = base + k;
              }
            }
          }
        }
        for (let k = 0; k < channels; k++) {
          const at = where[k];
          if (at >= 0) out[at] += g[dyIndex + k];
        }
        dyIndex += channels;
      }
    }
  }
  return dx;
}

export const maxPoolGradConfig: tf.KernelConfig = {
  kernelName: tf.MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad,
};
