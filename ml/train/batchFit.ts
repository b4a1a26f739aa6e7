/**
 * When a training batch does not fit the device's memory (the 4 GiB WASM heap, a GPU's memory or its
 * largest buffer, libtensorflow's allocator), the run stops with the batch size that does fit, found by
 * trying: a forward and backward pass of the run's own model at smaller batches, halving until one
 * succeeds and then bisecting towards the failed size. The model's weights are not updated by the
 * trials (no optimiser step), but its batch-norm moving statistics are; the run is stopping anyway and
 * resumes from its last checkpoint.
 */
import * as tf from '@tensorflow/tfjs';
import { disposeCreatedOnFailure } from '../engine/sweep.js';
import { WasmHeapExhaustedError } from '../engine/wasmHeap.js';
import { GpuDeviceError, throwIfDeviceError } from '../engine/webgpu.js';
import { meanCrossEntropy } from './loss.js';

export class BatchTooLargeError extends Error {
  readonly code = 'batch_too_large';
  constructor(
    readonly batchSize: number,
    /** The largest batch that trained, or 0 when not even one image fits. */
    readonly fits: number,
    readonly device: string,
    cause: string,
  ) {
    super(
      fits > 0
        ? `A batch of ${batchSize} images does not fit in ${device}; the largest batch that fits is ${fits}. ` +
            `Lower the batch size to ${fits} (or the image size) and resume or start the run again. (${cause})`
        : `Not even one image fits in ${device} at this image size: lower the image size or choose a smaller model. (${cause})`,
    );
    this.name = 'BatchTooLargeError';
  }
}

/** Whether an error from a training step means the batch did not fit the device's memory. */
export function isOutOfMemory(error: unknown): boolean {
  if (error instanceof WasmHeapExhaustedError) return true;
  if (error instanceof GpuDeviceError) return error.outOfMemory;
  // libtensorflow (tfjs-node): "OOM when allocating tensor with shape ..."
  return error instanceof Error && /\bOOM when allocating\b|out of memory/i.test(error.message);
}

/** Where the batch has to fit, in a user's words. */
export function deviceDescription(backend = tf.getBackend()): string {
  if (backend === 'wasm') return 'the WASM backend\'s memory (at most 4 GiB)';
  if (backend === 'webgpu') return 'the GPU\'s memory';
  if (backend === 'tensorflow') return 'the memory libtensorflow can use';
  return 'memory';
}

/** One forward and backward pass on random images; true when it completed without running out of memory. */
async function fits(model: tf.LayersModel, batch: number): Promise<boolean> {
  const [height, width, channels] = model.inputs[0]!.shape.slice(1) as number[];
  const numClasses = model.outputs[0]!.shape[model.outputs[0]!.shape.length - 1] as number;
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  try {
    await disposeCreatedOnFailure(async () => {
      const tensors = tf.tidy(() => {
        const x = tf.randomUniform([batch, height!, width!, channels!], -1, 1);
        const labels = tf.tensor1d(Array.from({ length: batch }, (_, i) => i % numClasses), 'int32');
        const { value, grads } = tf.variableGrads(() => meanCrossEntropy(model.apply(x, { training: true }) as tf.Tensor2D, labels, numClasses), variables);
        return [value, ...Object.values(grads)];
      });
      try {
        await tensors[0]!.data();
        throwIfDeviceError('a batch-size trial');
      } finally {
        tf.dispose(tensors);
      }
    });
    return true;
  } catch (error) {
    if (isOutOfMemory(error)) return false;
    throw error;
  }
}

/**
 * The batch a run can train with, checked before it starts: `wanted` when a forward and backward pass
 * of that size fits, else the largest smaller one that does (0 when not even one image fits). Probe a
 * model that is not the one being trained: batch-norm moving statistics change on every trial.
 */
export async function fittingBatch(model: tf.LayersModel, wanted: number): Promise<number> {
  if (await fits(model, wanted)) return wanted;
  return largestFittingBatch(model, wanted);
}

/** The largest batch below `failed` whose forward and backward pass fits (0 when even 1 does not). */
export async function largestFittingBatch(model: tf.LayersModel, failed: number): Promise<number> {
  let low = 0;
  let high = failed;
  for (let batch = Math.floor(failed / 2); batch >= 1; batch = Math.floor(batch / 2)) {
    if (await fits(model, batch)) {
      low = batch;
      break;
    }
    high = batch;
  }
  if (low === 0) return 0;
  // Two bisection steps towards the size that failed are enough to be within a quarter of the best.
  for (let i = 0; i < 2 && high - low > 1; i++) {
    const middle = Math.floor((low + high) / 2);
    if (await fits(model, middle)) low = middle;
    else high = middle;
  }
  return low;
}
