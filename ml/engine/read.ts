/**
 * Reading tensors back to JavaScript. Everything on the training and inference paths reads through
 * here, never with `dataSync`/`arraySync`: a GPU backend cannot read synchronously under Node (tfjs's
 * WebGPU backend needs an `OffscreenCanvas` for it), and an asynchronous read lets the GPU keep working.
 */
import * as tf from '@tensorflow/tfjs';

/** The values of every tensor, read without blocking; the tensors are disposed afterwards, even on failure. */
export async function readAll(tensors: readonly tf.Tensor[]): Promise<tf.TypedArray[]> {
  try {
    return await Promise.all(tensors.map((t) => t.data()));
  } finally {
    tf.dispose(tensors as tf.Tensor[]);
  }
}
