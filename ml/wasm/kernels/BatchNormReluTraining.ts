/**
 * Training-mode batch normalisation fused with the ReLU after it (a project kernel, not a TensorFlow
 * one): y = max(0, γ·(x − μ)/√(σ² + ε) + β) with μ, σ² the per-channel batch mean and (biased) variance,
 * which it also returns for the moving averages. Inputs x [..., C], gamma [C], beta [C]; attr epsilon;
 * outputs [y, mean, variance].
 *
 * Why a kernel: tfjs composes training BN from moments (which transpose before reducing), a broadcast
 * BatchNorm and a separate ReLU, and its gradient tiles [C] vectors up to the full tensor. On the wasm
 * backend that was the largest cost of a training step after the convolutions, and at batch 64 it
 * pushed the heap past 4 GB. Here it is two passes over x: statistics, then normalise-and-clip, as
 * 128-bit SIMD loops (simd/channelKernels.ts) when C is a multiple of 4, JavaScript otherwise.
 */
import type * as tf from '@tensorflow/tfjs';
import { allocate, f32, heapF32, heapOffset, scratch, upload, type Attrs, type BackendWasm, type TensorInfo } from '../heap.js';
import { partsFor, shareOut, simdKernels, type SimdKernels } from '../simd/module.js';

export const BatchNormReluTraining = 'BatchNormReluTraining';

/**
 * Rows per block of float32 partial sums; the blocks are added up in double precision, so the sums
 * stay accurate over a whole batch (65,536 rows at 64 x 32 x 32) at the speed of float32 SIMD.
 */
const ROWS_PER_BLOCK = 256;

function moments(count: number, channels: number, sum: Float64Array, squares: Float64Array): { mean: Float64Array; variance: Float64Array } {
  const mean = new Float64Array(channels);
  const variance = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    mean[c] = sum[c] / count;
    variance[c] = Math.max(0, squares[c] / count - mean[c] * mean[c]);
  }
  return { mean, variance };
}

/**
 * Runs an elementwise pass over rows of `rowBytes`, shared out by rows: `job(start, length)` gets the
 * byte offset and length of its rows.
 */
export function shareRows(
  simd: SimdKernels, name: 'scaleShiftRelu' | 'reluGradApply', bytes: number, rowBytes: number,
  job: (start: number, length: number) => number[],
): void {
  shareOut(simd, name, bytes / rowBytes, partsFor(simd, { bytes }), (r0, r1) => job(r0 * rowBytes, (r1 - r0) * rowBytes));
}

/**
 * Per-block float32 partial sums on the heap (blocks shared out among the helper threads), added up here
 * in double precision. `dataPointers` are the pointer arguments of the blocks kernel before its sizes.
 */
export function blockSums(
  backend: BackendWasm, simd: SimdKernels, name: 'channelSumsBlocks' | 'reluGradSumsBlocks',
  dataPointers: number[], floats: number, channels: number,
): [Float64Array, Float64Array] {
  const bytes = floats * 4;
  const blockBytes = ROWS_PER_BLOCK * channels * 4;
  const blocks = Math.ceil(bytes / blockBytes);
  const partial = scratch(backend, blocks * 2 * channels);
  heapF32(backend, partial.pointer, blocks * 2 * channels).fill(0);
  try {
    shareOut(simd, name, blocks, partsFor(simd, { bytes }),
      (b0, b1) => [...dataPointers, bytes, channels * 4, blockBytes, partial.pointer, b0, b1]);
    const first = new Float64Array(channels);
    const second = new Float64Array(channels);
    const partials = heapF32(backend, partial.pointer, blocks * 2 * channels);
    for (let b = 0; b < blocks; b++) {
      const base = b * 2 * channels;
      for (let c = 0; c < channels; c++) {
        first[c] += partials[base + c];
        second[c] += partials[base + channels + c];
      }
    }
    return [first, second];
  } finally {
    partial.free();
  }
}

/** channelMoments on the heap with the SIMD kernels. */
export function channelMomentsSimd(backend: BackendWasm, simd: SimdKernels, x: TensorInfo, channels: number): { mean: Float64Array; variance: Float64Array } {
  const total = f32(backend, x).length;
  const [sum, squares] = blockSums(backend, simd, 'channelSumsBlocks', [heapOffset(backend, x)], total, channels);
  return moments(total / channels, channels, sum, squares);
}

/**
 * Per-channel mean and biased variance of an [M, C] row-major array. Sums are kept in double precision
 * (JavaScript numbers), so E[x²] − E[x]² does not cancel badly at float32 batch statistics.
 */
export function channelMoments(x: Float32Array, channels: number): { mean: Float64Array; variance: Float64Array } {
  const sum = new Float64Array(channels);
  const squares = new Float64Array(channels);
  // Rows are summed in float32-sized runs into double accumulators: fast, and exact enough.
  for (let base = 0; base < x.length; base += channels) {
    for (let c = 0; c < channels; c++) {
      const v = x[base + c];
      sum[c] += v;
      squares[c] += v * v;
    }
  }
  return moments(x.length / channels, channels, sum, squares);
}

export function batchNormReluTraining(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: Attrs }): TensorInfo[] {
  const backend = args.backend as BackendWasm;
  const { x, gamma, beta } = args.inputs as { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo };
  const epsilon = (args.attrs?.epsilon as number | undefined) ?? 1e-3;
  const channels = x.shape[x.shape.length - 1];
  const simd = channels % 4 === 0 ? simdKernels(backend) : null;
  const { mean, variance } = simd ? channelMomentsSimd(backend, simd, x, channels) : channelMoments(f32(backend, x), channels);

  const y = allocate(backend, x.shape);
  const g = f32(backend, gamma);
  const b = f32(backend, beta);
  const scale = new Float32Array(channels);
  const shift = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    scale[c] = g[c] / Math.sqrt(variance[c] + epsilon);
    shift[c] = b[c] - mean[c] * scale[c];
  }
  const outputs = [y, upload(backend, Float32Array.from(mean), [channels]), upload(backend, Float32Array.from(variance), [channels])];
  if (simd) {
    const factors = scratch(backend, 2 * channels);
    heapF32(backend, factors.pointer, 2 * channels).set(scale);
    heapF32(backend, factors.pointer + channels * 4, channels).set(shift);
    const bytes = f32(backend, x).length * 4;
    const [xBase, yBase] = [heapOffset(backend, x), heapOffset(backend, y)];
    try {
      shareRows(simd, 'scaleShiftRelu', bytes, channels * 4,
        (start, length) => [xBase + start, yBase + start, length, channels * 4, factors.pointer, factors.pointer + channels * 4]);
    } finally {
      factors.free();
    }
    return outputs;
  }
  const input = f32(backend, x);
  const out = f32(backend, y);
  for (let base = 0; base < input.length; base += channels) {
    for (let c = 0; c < channels; c++) {
      const v = input[base + c] * scale[c] + shift[c];
      out[base + c] = v > 0 ? v : 0;
    }
  }
  return outputs;
}

export const batchNormReluTrainingConfig: tf.KernelConfig = {
  kernelName: BatchNormReluTraining,
  backendName: 'wasm',
  kernelFunc: batchNormReluTraining,
};
