/**
 * Identity for the wasm backend without a copy. The stock kernel copies the whole buffer, and the engine
 * runs Identity on every tensor it keeps for backprop (about a thousand full-size copies per training
 * step of a Residual Attention Network). tfjs tensors are immutable, so sharing the buffer under one
 * more reference is safe; the `cpu` backend does the same.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm, TensorInfo } from '../heap.js';

export function identity(args: { inputs: tf.NamedTensorInfoMap; backend: unknown }): TensorInfo {
  const backend = args.backend as BackendWasm;
  const x = args.inputs.x as TensorInfo;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export const identityConfig: tf.KernelConfig = {
  kernelName: tf.Identity,
  backendName: 'wasm',
  kernelFunc: identity,
};
