/**
 * Frees what a failed tfjs computation leaves behind. When an op throws part-way through a forward pass
 * under `tf.variableGrads` (a batch that does not fit the device's memory), the tensors the engine
 * already kept for the backward pass are never released: their tape is dropped with the exception, and
 * on a 4 GiB WASM heap that is most of the heap. Tracking every tensor created while the computation
 * runs lets them be disposed if it fails. Disposing a tensor whose data a variable now shares (a
 * batch-norm moving average written during the pass) only drops that tensor's reference.
 */
import * as tf from '@tensorflow/tfjs';

interface TrackingEngine {
  trackTensor(tensor: tf.Tensor, backend: unknown): void;
}

/** Runs `compute`; if it throws, every tensor it created that is still alive is disposed before rethrowing. */
export async function disposeCreatedOnFailure<T>(compute: () => Promise<T>): Promise<T> {
  const engine = tf.engine() as unknown as TrackingEngine;
  const created: tf.Tensor[] = [];
  const track = engine.trackTensor;
  engine.trackTensor = function trackAndRemember(this: TrackingEngine, tensor, backend) {
    // A variable passes through here when it takes a new value (assign): it is the model's, not garbage.
    if (!(tensor instanceof tf.Variable)) created.push(tensor);
    return track.call(this, tensor, backend);
  };
  try {
    return await compute();
  } catch (error) {
    for (const tensor of created) if (!tensor.isDisposed) tensor.dispose();
    throw error;
  } finally {
    engine.trackTensor = track;
  }
}
