/**
 * Rewrites a functional model so every BatchNormalization whose only consumer is a ReLU becomes one
 * `BatchNormRelu` layer (fused kernels on wasm; see batchNormRelu.ts). Layer names, weights and the
 * graph's shape stay as they were: the BN layer keeps its name and weights, and the ReLU layer stays in
 * place as a linear `Activation` (no work, same name), so checkpoints and layer lookups by name keep
 * working. The one visible difference: the BN layer's own output is now already rectified.
 */
import * as tf from '@tensorflow/tfjs';
import './batchNormRelu.js';

/** A functional model's config as tfjs's `getConfig()` returns it (camelCase, unlike the saved JSON). */
interface LayerConfig {
  className: string;
  name: string;
  config: Record<string, unknown>;
  inboundNodes: unknown[];
}

interface ModelConfig {
  name: string;
  layers: LayerConfig[];
  inputLayers: unknown[];
  outputLayers: [string, number, number][];
}

/** Names of the layers that feed `layer` (any node, any tensor). */
function inboundNames(layer: LayerConfig): string[] {
  const names: string[] = [];
  for (const node of layer.inboundNodes as unknown[][]) {
    for (const entry of node as unknown[][]) names.push(entry[0] as string);
  }
  return names;
}

function isRelu(layer: LayerConfig): boolean {
  if (layer.className === 'ReLU') return layer.config.maxValue == null;
  return layer.className === 'Activation' && layer.config.activation === 'relu';
}

/** How many BN+ReLU pairs `fuseBatchNormRelu` would merge, without building anything. */
export function fusableBatchNormReluPairs(model: tf.LayersModel): [string, string][] {
  const config = model.getConfig() as unknown as ModelConfig;
  const consumers = new Map<string, LayerConfig[]>();
  for (const layer of config.layers) {
    for (const name of inboundNames(layer)) consumers.set(name, [...(consumers.get(name) ?? []), layer]);
  }
  const outputs = new Set(config.outputLayers.map((entry) => entry[0]));
  const pairs: [string, string][] = [];
  for (const layer of config.layers) {
    if (layer.className !== 'BatchNormalization' || outputs.has(layer.name)) continue;
    const axis = layer.config.axis as number;
    if (axis !== -1 && axis !== 3) continue;
    if (layer.inboundNodes.length !== 1) continue;
    const next = consumers.get(layer.name) ?? [];
    if (next.length !== 1 || !isRelu(next[0]) || inboundNames(next[0]).length !== 1) continue;
    pairs.push([layer.name, next[0].name]);
  }
  return pairs;
}

/** A new model with fused BN+ReLU layers and the same weights; the input model is left untouched. */
export function fuseBatchNormRelu(model: tf.LayersModel): tf.LayersModel {
  const pairs = fusableBatchNormReluPairs(model);
  const config = model.getConfig() as unknown as ModelConfig;
  const bnNames = new Set(pairs.map(([bn]) => bn));
  const reluNames = new Set(pairs.map(([, relu]) => relu));
  for (const layer of config.layers) {
    if (bnNames.has(layer.name)) layer.className = 'BatchNormRelu';
    if (reluNames.has(layer.name)) {
      layer.className = 'Activation';
      layer.config = { name: layer.config.name, trainable: layer.config.trainable, dtype: layer.config.dtype, activation: 'linear' };
    }
  }
  const fused = tf.LayersModel.fromConfig(tf.LayersModel, config as unknown as tf.serialization.ConfigDict) as tf.LayersModel;
  const weights = model.getWeights();
  fused.setWeights(weights);
  return fused;
}

/**
 * The inverse of `fuseBatchNormRelu`: plain BatchNormalization layers followed by ReLU activations,
 * same names and weights. For exports, so the saved model needs no project layer to load. A model
 * without fused layers is returned as it is.
 */
export function unfuseBatchNormRelu(model: tf.LayersModel): tf.LayersModel {
  const config = model.getConfig() as unknown as ModelConfig;
  const fusedNames = new Set(config.layers.filter((layer) => layer.className === 'BatchNormRelu').map((layer) => layer.name));
  if (fusedNames.size === 0) return model;
  for (const layer of config.layers) {
    if (layer.className === 'BatchNormRelu') {
      layer.className = 'BatchNormalization';
      continue;
    }
    const inbound = inboundNames(layer);
    const followsFused = inbound.length === 1 && fusedNames.has(inbound[0]!);
    if (followsFused && layer.className === 'Activation' && layer.config.activation === 'linear') layer.config.activation = 'relu';
  }
  const plain = tf.LayersModel.fromConfig(tf.LayersModel, config as unknown as tf.serialization.ConfigDict) as tf.LayersModel;
  plain.setWeights(model.getWeights());
  return plain;
}
