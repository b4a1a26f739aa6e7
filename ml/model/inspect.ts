/**
 * Looking inside a built (or loaded) model: parameter counts and the attention masks the studio
 * overlays on images. Everything here finds layers by their stable names (see network.ts).
 */
import * as tf from '@tensorflow/tfjs';

/** The activation output of an attention module's soft mask: `stage<s>_attn<k>_mask`. */
const MASK_LAYER = /^stage(\d+)_attn(\d+)_mask$/;

/**
 * Trainable parameters (conv kernels, BN γ/β, classifier weights and bias), the quantity the paper
 * and spec §3 report. BN moving statistics are excluded: they are state, not parameters.
 */
export function countParams(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((sum, weight) => sum + weight.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);
}

/** Names of every attention module's mask layer, in network order (stage, then module). */
export function maskLayerNames(model: tf.LayersModel): string[] {
  const order = (name: string): [number, number] => {
    const match = MASK_LAYER.exec(name)!;
    return [Number(match[1]), Number(match[2])];
  };
  return model.layers
    .map((layer) => layer.name)
    .filter((name) => MASK_LAYER.test(name))
    .sort((a, b) => {
      const [sa, ka] = order(a);
      const [sb, kb] = order(b);
      return sa - sb || ka - kb;
    });
}

/**
 * A model sharing `model`'s weights whose outputs are [logits, ...masks], the masks in
 * `maskLayerNames` order, each batch × H × W × C at its module's trunk resolution with values in
 * [0, 1] (mixed and spatial) or [−1, 1] (channel). Predictions run in inference mode like `model`'s.
 */
export function buildInspectionModel(model: tf.LayersModel): tf.LayersModel {
  if (model.outputs.length !== 1) {
    throw new Error(`buildInspectionModel expects a classifier with one output, got ${model.outputs.length}`);
  }
  const masks = maskLayerNames(model).map((name) => model.getLayer(name).output as tf.SymbolicTensor);
  return tf.model({ inputs: model.inputs, outputs: [model.outputs[0], ...masks], name: `${model.name}_inspection` });
}
