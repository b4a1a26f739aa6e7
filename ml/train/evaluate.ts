/**
 * Inference over a whole data source: per-image probabilities and losses (the studio's "find the
 * model's mistakes" view) and their summary (validation metrics). Always inference mode: batch norm
 * uses its moving statistics, and images are not augmented (spec §4.1: test on the original image).
 */
import * as tf from '@tensorflow/tfjs';
import { readAll } from '../engine/read.js';
import { throwIfDeviceError } from '../engine/webgpu.js';
import { crossEntropyRows, softmaxRows, type Classifier } from '../infer/classifier.js';
import { checkBatch, sequentialOrder, type DataSource } from './dataSource.js';
import { crossEntropyPerImage } from './loss.js';
import { accuracyOf, argmaxRows, confusionMatrix, type ConfusionMatrix } from './metrics.js';
import { checkChannelStats, type ChannelStats } from './normalization.js';
import { prefetchOne } from './prefetch.js';
import { imagesToTensor } from './preprocess.js';

export interface PredictOptions {
  /** The statistics the model was trained with (from its checkpoint). */
  normalization: ChannelStats;
  /** Default 64. */
  batchSize?: number;
  /** Positions of the source to predict, in output order; default all. */
  order?: ArrayLike<number>;
}

export interface Predictions {
  numClasses: number;
  /** Per image, `numClasses` probabilities (row-major, image after image). */
  probabilities: Float32Array;
  /** Most probable class per image. */
  predicted: Int32Array;
  /** The source's labels. */
  labels: Int32Array;
  /** Cross-entropy of each image under its label: sort by it to find the worst mistakes. */
  losses: Float32Array;
  /** The source's ids, or positions where the source gives none. */
  ids: Float64Array;
}

export interface Evaluation {
  count: number;
  /** Mean cross-entropy. */
  loss: number;
  accuracy: number;
  /** Rows are true classes, columns predicted classes. */
  confusionMatrix: ConfusionMatrix;
}

/**
 * Every image of the source through the model (a tfjs model, or any Classifier: the same probabilities
 * and losses, computed from its logits in JavaScript).
 */
export async function predictSource(model: tf.LayersModel | Classifier, source: DataSource, options: PredictOptions): Promise<Predictions> {
  checkChannelStats(options.normalization, source.imageShape[2]);
  const order = options.order ?? sequentialOrder(source.size);
  const batchSize = options.batchSize ?? 64;
  const numClasses = source.numClasses;
  const result: Predictions = {
    numClasses,
    probabilities: new Float32Array(order.length * numClasses),
    predicted: new Int32Array(order.length),
    labels: new Int32Array(order.length),
    losses: new Float32Array(order.length),
    ids: new Float64Array(order.length),
  };
  let done = 0;
  for await (const batch of prefetchOne(source.batches(order, batchSize))) {
    const count = Math.min(batchSize, order.length - done);
    checkBatch(source, batch, count);
    if ('logits' in model) {
      const logits = await model.logits(batch.images, count);
      const probs = softmaxRows(logits, numClasses);
      result.probabilities.set(probs, done * numClasses);
      result.predicted.set(argmaxRows(probs, numClasses), done);
      result.labels.set(batch.labels, done);
      result.losses.set(crossEntropyRows(logits, batch.labels, numClasses), done);
      for (let i = 0; i < count; i++) result.ids[done + i] = batch.ids ? batch.ids[i] : order[done + i];
      done += count;
      continue;
    }
    const outputs = tf.tidy(() => {
      const x = imagesToTensor(batch.images, count, source.imageShape, options.normalization);
      // One batch per call: predict's default batchSize (32) would split and re-concatenate larger batches.
      const logits = model.predict(x, { batchSize: count }) as tf.Tensor2D;
      const labels = tf.tensor1d(batch.labels, 'int32');
      return [tf.softmax(logits), crossEntropyPerImage(logits, labels, numClasses)];
    });
    const [probs, losses] = (await readAll(outputs)) as [Float32Array, Float32Array];
    throwIfDeviceError('inference');
    result.probabilities.set(probs, done * numClasses);
    result.predicted.set(argmaxRows(probs, numClasses), done);
    result.labels.set(batch.labels, done);
    result.losses.set(losses, done);
    for (let i = 0; i < count; i++) result.ids[done + i] = batch.ids ? batch.ids[i] : order[done + i];
    done += count;
  }
  return result;
}

export function summarizePredictions(predictions: Predictions): Evaluation {
  const count = predictions.labels.length;
  const matrix = confusionMatrix(predictions.labels, predictions.predicted, predictions.numClasses);
  let lossSum = 0;
  for (const loss of predictions.losses) lossSum += loss;
  return { count, loss: count === 0 ? 0 : lossSum / count, accuracy: accuracyOf(matrix), confusionMatrix: matrix };
}

export async function evaluateSource(model: tf.LayersModel, source: DataSource, options: PredictOptions): Promise<Evaluation> {
  return summarizePredictions(await predictSource(model, source, options));
}
