/**
 * The project's fused training batch norm + ReLU for the `webgpu` backend: the same kernel names,
 * inputs and outputs as the wasm kernels (ml/wasm/kernels/BatchNormReluTraining.ts), so the
 * `BatchNormRelu` layer and `batchNormReluTraining` run them unchanged.
 *
 * Why: tfjs composes training batch norm from moments (a transpose before each reduction), a broadcast
 * BatchNorm and a ReLU, and its gradient tiles [C] vectors up to the whole tensor: about 40 GPU
 * programs per layer and step. Here the forward is 4 programs (chunk statistics, mean, variance,
 * normalise-and-clip) and the gradient 5, which matters most where each dispatch costs more than its
 * arithmetic (small images, and every step of a small network).
 */
import type * as tf from '@tensorflow/tfjs';
import { channelsAndRows, release, type WebGpuBackend } from '../program.js';
import { BatchNormReluTraining } from '../../wasm/kernels/BatchNormReluTraining.js';
import { BatchNormReluTrainingGrad } from '../../wasm/kernels/BatchNormReluTrainingGrad.js';
import { ChannelElementwiseProgram, ChannelFinalizeProgram, ChannelPartialsProgram, chunking } from './channelPrograms.js';


type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

function uniformsFor(channels: number, rows: number, epsilon: number) {
  const { rowsPerChunk, chunks } = chunking(rows);
  return {
    chunks,
    partials: [
      { type: 'int32' as const, data: [channels] },
      { type: 'int32' as const, data: [rows] },
      { type: 'int32' as const, data: [rowsPerChunk] },
    ],
    finalize: [
      { type: 'int32' as const, data: [channels] },
      { type: 'int32' as const, data: [rows] },
      { type: 'int32' as const, data: [rowsPerChunk] },
      { type: 'int32' as const, data: [chunks] },
      { type: 'float32' as const, data: [epsilon] },
    ],
    elementwise: [
      { type: 'int32' as const, data: [channels] },
      { type: 'float32' as const, data: [epsilon] },
    ],
  };
}

function batchNormReluTraining({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const gpu = backend as WebGpuBackend;
  const { x, gamma, beta } = inputs as { x: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo };
  const epsilon = (attrs as unknown as { epsilon: number }).epsilon;
  const { channels, rows } = channelsAndRows(x.shape);
  const u = uniformsFor(channels, rows, epsilon);
  const partials = gpu.runWebGPUProgram(new ChannelPartialsProgram('moments', channels, u.chunks), [x], 'float32', u.partials);
  const mean = gpu.runWebGPUProgram(new ChannelFinalizeProgram('mean', channels), [partials], 'float32', u.finalize);
  const variance = gpu.runWebGPUProgram(new ChannelFinalizeProgram('variance', channels), [partials], 'float32', u.finalize);
  release(gpu, partials);
  const y = gpu.runWebGPUProgram(new ChannelElementwiseProgram('normalize', x.shape), [x, mean, variance, gamma, beta], 'float32', u.elementwise);
  return [y, mean, variance];
}

function batchNormReluTrainingGrad({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const gpu = backend as WebGpuBackend;
  const { dy, x, y, gamma, mean, variance } = inputs as Record<'dy' | 'x' | 'y' | 'gamma' | 'mean' | 'variance', tf.TensorInfo>;
  const epsilon = (attrs as unknown as { epsilon: number }).epsilon;
  const { channels, rows } = channelsAndRows(x.shape);
  const u = uniformsFor(channels, rows, epsilon);
  const partials = gpu.runWebGPUProgram(new ChannelPartialsProgram('gradient', channels, u.chunks), [dy, x, y, mean], 'float32', u.partials);
  const dbeta = gpu.runWebGPUProgram(new ChannelFinalizeProgram('sumDz', channels), [partials], 'float32', u.finalize);
  const dgamma = gpu.runWebGPUProgram(new ChannelFinalizeProgram('sumDzXhat', channels), [partials, variance], 'float32', u.finalize);
  const coefficients = gpu.runWebGPUProgram(new ChannelFinalizeProgram('coefficients', channels), [partials, gamma, variance], 'float32', u.finalize);
  release(gpu, partials);
  const dx = gpu.runWebGPUProgram(new ChannelElementwiseProgram('gradient', x.shape), [dy, x, y, mean, coefficients], 'float32', u.elementwise);
  release(gpu, coefficients);
  return [dx, dgamma, dbeta];
}

export const batchNormReluTrainingConfig: tf.KernelConfig = {
  kernelName: BatchNormReluTraining,
  backendName: 'webgpu',
  kernelFunc: batchNormReluTraining as unknown as tf.KernelFunc,
};

export const batchNormReluTrainingGradConfig: tf.KernelConfig = {
  kernelName: BatchNormReluTrainingGrad,
  backendName: 'webgpu',
  kernelFunc: batchNormReluTrainingGrad as unknown as tf.KernelFunc,
};
