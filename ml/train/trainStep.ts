/** One optimisation step: forward in training mode, loss, gradients, optimiser update. */
import * as tf from '@tensorflow/tfjs';
import { throwIfDeviceError } from '../engine/webgpu.js';
import { meanCrossEntropy } from './loss.js';
import type { Optimizer, TrainableParam } from './optimizer.js';

export interface StepResult {
  /** Mean cross-entropy of the batch, before the update. */
  loss: number;
  /** Images of the batch the network classified correctly, before the update. */
  correct: number;
}

export class DivergedError extends Error {
  constructor(readonly step: number, readonly learningRate: number) {
    super(
      `Training diverged: the loss became NaN or infinite at step ${step} (learning rate ${learningRate}). ` +
        'The optimiser skipped this step, but batch norm has already seen the bad batch: resume from the last ' +
        'checkpoint with a lower learning rate or a warm-up.',
    );
    this.name = 'DivergedError';
  }
}

/**
 * `model.apply(x, {training: true})` makes batch norm normalise with the batch's statistics and
 * update its moving averages (tfjs writes them during the forward pass), which inference then uses.
 * The loss is read back before the update so a diverged step never reaches the trainable weights.
 * The read is asynchronous: a GPU backend (WebGPU) cannot read a tensor synchronously under Node.
 */
export async function trainStep(
  model: tf.LayersModel,
  params: TrainableParam[],
  optimizer: Optimizer,
  images: tf.Tensor4D,
  labels: tf.Tensor1D,
  learningRate: number,
  step: number,
): Promise<StepResult> {
  const numClasses = model.outputs[0].shape[model.outputs[0].shape.length - 1] as number;
  const { value, grads, correct } = tf.tidy(() => {
    let correctCount: tf.Scalar | undefined;
    const result = tf.variableGrads(() => {
      const logits = model.apply(images, { training: true }) as tf.Tensor2D;
      correctCount = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), labels), 'int32')) as tf.Scalar);
      return meanCrossEntropy(logits, labels, numClasses);
    }, params.map((p) => p.variable));
    return { value: result.value, grads: result.grads, correct: correctCount! };
  });
  try {
    const [lossValues, correctValues] = await Promise.all([value.data(), correct.data()]);
    throwIfDeviceError(`training step ${step}`);
    const loss = lossValues[0]!;
    if (!Number.isFinite(loss)) throw new DivergedError(step, learningRate);
    tf.tidy(() => optimizer.applyGradients(params, params.map((p) => grads[p.variable.name]), learningRate));
    return { loss, correct: correctValues[0]! };
  } finally {
    tf.dispose([value, correct, ...Object.values(grads)]);
  }
}
