/** The training objective: softmax cross-entropy on the network's logits (the model outputs logits, no softmax). */
import * as tf from '@tensorflow/tfjs';

/**
 * −log softmax(logits)[label] per image, via log-softmax so large logits cannot overflow `exp`
 * (the model ends in a dense layer, not a softmax, for exactly this reason).
 */
export function crossEntropyPerImage(logits: tf.Tensor2D, labels: tf.Tensor1D, numClasses: number): tf.Tensor1D {
  return tf.tidy(() => {
    const oneHot = tf.oneHot(labels, numClasses);
    return tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), -1)) as tf.Tensor1D;
  });
}

export function meanCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, numClasses: number): tf.Scalar {
  return tf.tidy(() => tf.mean(crossEntropyPerImage(logits, labels, numClasses)) as tf.Scalar);
}

/** Class probabilities from logits. */
export function probabilities(logits: tf.Tensor2D): tf.Tensor2D {
  return tf.softmax(logits);
}
