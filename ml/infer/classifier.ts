/**
 * What turns a batch of images into logits, behind one interface: the tfjs inference graph on the
 * current backend, or ONNX Runtime running the same graph exported (onnxClassifier.ts). Predictions,
 * evaluations and the Try view ask a Classifier; the attention masks, which read layers inside the
 * network, stay on tfjs.
 */
import * as tf from '@tensorflow/tfjs';
import { readAll } from '../engine/read.js';
import { throwIfDeviceError } from '../engine/webgpu.js';
import type { ImageShape } from '../train/dataSource.js';
import type { ChannelStats } from '../train/normalization.js';
import { imagesToTensor } from '../train/preprocess.js';

export interface Classifier {
  /** In words, e.g. "tfjs wasm" or "ONNX Runtime (CPU, 2 threads)". */
  readonly engine: string;
  readonly numClasses: number;
  /** Logits of `count` uint8 HWC images (the run's input size and channels), image after image. */
  logits(images: Uint8Array, count: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/** The tfjs inference graph; the model stays the caller's to dispose. */
export class TfjsClassifier implements Classifier {
  readonly engine: string;
  readonly numClasses: number;

  constructor(
    private readonly model: tf.LayersModel,
    private readonly shape: ImageShape,
    private readonly normalization: ChannelStats,
  ) {
    this.engine = `tfjs ${tf.getBackend()}`;
    this.numClasses = (model.outputs[0]!.shape[1] ?? 0) as number;
  }

  async logits(images: Uint8Array, count: number): Promise<Float32Array> {
    const [logits] = (await readAll([
      tf.tidy(() => this.model.predict(imagesToTensor(images, count, this.shape, this.normalization), { batchSize: count }) as tf.Tensor),
    ])) as [Float32Array];
    throwIfDeviceError('inference');
    return logits;
  }

  async dispose(): Promise<void> {}
}

/** Row-wise softmax of logits, in float64 then rounded, as tf.softmax gives it. */
export function softmaxRows(logits: Float32Array, classes: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let r = 0; r < logits.length; r += classes) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[r + c]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[r + c]! - max);
    for (let c = 0; c < classes; c++) out[r + c] = Math.exp(logits[r + c]! - max) / sum;
  }
  return out;
}

/** −log softmax(logits)[label] per row, by log-sum-exp so no logit overflows. */
export function crossEntropyRows(logits: Float32Array, labels: ArrayLike<number>, classes: number): Float32Array {
  const out = new Float32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const r = i * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[r + c]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[r + c]! - max);
    out[i] = max + Math.log(sum) - logits[r + labels[i]!]!;
  }
  return out;
}

export interface Agreement {
  images: number;
  sameTop1: number;
  maxProbabilityDifference: number;
}

/** The two classifiers on the same images: top-1 equal per image, and the largest probability difference. */
export async function compareClassifiers(a: Classifier, b: Classifier, images: Uint8Array, count: number): Promise<Agreement> {
  const classes = a.numClasses;
  const pa = softmaxRows(await a.logits(images, count), classes);
  const pb = softmaxRows(await b.logits(images, count), classes);
  let sameTop1 = 0;
  let maxProbabilityDifference = 0;
  for (let i = 0; i < count; i++) {
    let ta = 0;
    let tb = 0;
    for (let c = 0; c < classes; c++) {
      const k = i * classes + c;
      maxProbabilityDifference = Math.max(maxProbabilityDifference, Math.abs(pa[k]! - pb[k]!));
      if (pa[k]! > pa[i * classes + ta]!) ta = c;
      if (pb[k]! > pb[i * classes + tb]!) tb = c;
    }
    if (ta === tb) sameTop1++;
  }
  return { images: count, sameTop1, maxProbabilityDifference };
}
