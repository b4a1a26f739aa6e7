/**
 * One SGD step for one weight as a single kernel on the wasm backend: with the composition of stock
 * ops, each weight costs 6-8 kernel calls (and scalar tensors for the factors), about 3,000 calls per
 * step of a Residual Attention Network, 5-8 % of its training time in call overhead alone. Here it is
 * one pass over the weight, its gradient and its velocity (see ml/train/sgd.ts for the rule):
 *
 *   g' = g + λ·w;   v' = μ·v + g';   w' = w − η·(g' + μ·v')  (Nesterov)  or  w − η·v'
 *
 * The results are new tensors, never the inputs updated in place: the backend caches packed
 * convolution weights per tensor, and an in-place update would leave that cache stale.
 */
import type * as tf from '@tensorflow/tfjs';
import { allocate, f32, type Attrs, type BackendWasm, type TensorInfo } from '../heap.js';

export const SgdUpdate = 'AttentionStudioSgdUpdate';

export interface SgdUpdateAttrs {
  learningRate: number;
  momentum: number;
  /** λ; 0 for weights without decay. */
  weightDecay: number;
  nesterov: boolean;
  /** No velocity yet (the first step): `v` is ignored and taken as zero. */
  first: boolean;
}

export function sgdUpdate(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: Attrs }): TensorInfo[] {
  const backend = args.backend as BackendWasm;
  const { w, g, v } = args.inputs as { w: TensorInfo; g: TensorInfo; v: TensorInfo };
  const { learningRate: lr, momentum: mu, weightDecay: decay, nesterov, first } = args.attrs as unknown as SgdUpdateAttrs;
  const wOut = allocate(backend, w.shape);
  const vOut = allocate(backend, w.shape);
  // Views after the last allocation (a heap growth detaches earlier ones).
  const [wi, gi, vi, wo, vo] = [f32(backend, w), f32(backend, g), f32(backend, v), f32(backend, wOut), f32(backend, vOut)];
  for (let i = 0; i < wi.length; i++) {
    const grad = gi[i]! + decay * wi[i]!;
    const velocity = (first ? 0 : mu * vi[i]!) + grad;
    vo[i] = velocity;
    wo[i] = wi[i]! - lr * (nesterov ? grad + mu * velocity : velocity);
  }
  return [wOut, vOut];
}

export const sgdUpdateConfig: tf.KernelConfig = {
  kernelName: SgdUpdate,
  backendName: 'wasm',
  kernelFunc: sgdUpdate as unknown as tf.KernelFunc,
};
