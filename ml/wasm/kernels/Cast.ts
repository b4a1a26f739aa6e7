/**
 * Cast for the wasm backend without a copy when the dtype does not change. tfjs-layers casts every
 * layer's input to the layer's dtype, float32 to float32 nearly always, and the stock kernel copies
 * the whole tensor each time (about 4 % of a training step). Same reasoning as Identity.ts: tensors
 * are immutable, so the buffer can be shared. Real conversions go to the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { runStock, type Attrs, type BackendWasm, type TensorInfo } from '../heap.js';

export function cast(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: Attrs }): TensorInfo {
  const backend = args.backend as BackendWasm;
  const x = args.inputs.x as TensorInfo;
  const dtype = (args.attrs?.dtype ?? x.dtype) as tf.DataType;
  if (dtype !== x.dtype) return runStock(tf.Cast, backend, { x }, args.attrs ?? {});
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype };
}

export const castConfig: tf.KernelConfig = {
  kernelName: tf.Cast,
  backendName: 'wasm',
  kernelFunc: cast,
};
