/** Helpers for the inference tests. */
import * as tf from '@tensorflow/tfjs';
import { pseudoRandom } from '../wasm/testing.js';

/** Batch-norm statistics and scales away from their initial 0/1, as after training (deterministic). */
export function perturbBatchNorms(model: tf.LayersModel): void {
  let seed = 1;
  for (const layer of model.layers) {
    if (!['BatchNormalization', 'BatchNormRelu'].includes(layer.getClassName())) continue;
    const c = layer.getWeights()[0]!.shape[0]!;
    const r = (offset: number, spread: number) => tf.tensor1d(pseudoRandom(c, seed++).map((v) => offset + spread * v));
    const values = [r(1, 0.5), r(0, 0.3), r(0, 0.5), r(1.5, 0.8)];
    layer.setWeights(values);
    tf.dispose(values);
  }
}
