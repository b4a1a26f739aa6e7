/**
 * Rewrites a trained network into one made of stock tfjs layers only, computing the same function,
 * so that the saved model.json loads with `tf.loadLayersModel` from plain `@tensorflow/tfjs` in Node or a
 * browser, without any of the project's code. The network the studio trains keeps its own layers (they
 * read better and train faster); only the export is rewritten:
 *
 * - `BatchNormRelu` (training speed-up) → BatchNormalization + ReLU, as `unfuseBatchNormRelu` does.
 * - `ResizeToReference` (bilinear, align_corners=True, to a size known once the input size is fixed)
 *   → a fixed linear map per spatial axis. Bilinear resizing is separable, and along one axis each
 *   output pixel is (1 − t)·a + t·b of two input pixels: a Dense layer with no bias over that axis, its
 *   kernel holding those two weights per output, between Permute layers that bring the axis last.
 *   tfjs's stock `UpSampling2D` and `Resizing` do not align corners, so they would change the numbers.
 * - `MaskActivation` 'spatial' (paper f3, sigmoid of each channel standardised over H×W)
 *   → LayerNormalization over axes [1, 2] (which normalises each sample's channel over H×W) + sigmoid.
 * - `MaskActivation` 'channel' (paper f2, x / ‖x‖ over the channels) → z = [x, −x] by a fixed Dense,
 *   LayerNormalization of z over channels (mean 0 by construction, variance ‖x‖²/C), scaled by
 *   γ = 1/√C with ε' = ε/C so that it gives exactly z / √(‖x‖² + ε), and a fixed Dense keeping [x].
 *
 * Layer names stay: the last layer of each replacement carries the replaced layer's name, so the
 * mask of a module is still the layer `stage<s>_attn<k>_mask`.
 */
import * as tf from '@tensorflow/tfjs';
import { unfuseBatchNormRelu } from '../layers/fuseBatchNormRelu.js';
import { MASK_ACTIVATION_EPSILON } from '../model/layers/maskActivation.js';
import { projectLayerClassNames } from './projectLayers.js';

type InboundEntry = [string, number, number, Record<string, unknown>];

interface LayerConfig {
  className: string;
  name: string;
  config: Record<string, unknown>;
  inboundNodes: InboundEntry[][];
}

interface ModelConfig {
  name: string;
  layers: LayerConfig[];
  inputLayers: unknown[];
  outputLayers: unknown[];
}

/** A stock layer to insert, with the fixed weights it must hold. */
interface Replacement {
  layer: tf.layers.Layer;
  weights: tf.Tensor[];
}

/**
 * The align_corners=True bilinear map from `from` samples to `to` samples as a Dense kernel
 * [from, to]: output i samples input position i·(from − 1)/(to − 1), as tfjs's resizeBilinear does.
 */
export function alignCornersKernel(from: number, to: number): tf.Tensor2D {
  const kernel = new Float32Array(from * to);
  const scale = to > 1 ? (from - 1) / (to - 1) : 0;
  for (let i = 0; i < to; i++) {
    const position = i * scale;
    const low = Math.floor(position);
    const high = Math.min(low + 1, from - 1);
    const t = position - low;
    kernel[low * to + i] += 1 - t;
    kernel[high * to + i] += t;
  }
  return tf.tensor2d(kernel, [from, to]);
}

function spatialShape(shape: tf.Shape, layer: string): [number, number, number] {
  const [, height, width, channels] = shape;
  if (shape.length !== 4 || height == null || width == null || channels == null) {
    throw new Error(`${layer}: exporting needs a fixed NHWC input size, got [${shape.join(', ')}]`);
  }
  return [height, width, channels];
}

function fixed(layer: tf.layers.Layer, weights: tf.Tensor[] = []): Replacement {
  return { layer, weights };
}

function identityBlocks(channels: number, rows: 'stacked' | 'side by side', sign: 1 | -1 = 1): Float32Array {
  // [I | sign·I] (channels × 2·channels) or [I ; 0] (2·channels × channels), row-major.
  const values = new Float32Array(2 * channels * channels);
  for (let c = 0; c < channels; c++) {
    if (rows === 'side by side') {
      values[c * 2 * channels + c] = 1;
      values[c * 2 * channels + channels + c] = sign;
    } else {
      values[c * channels + c] = 1;
    }
  }
  return values;
}

function resizeReplacement(name: string, source: tf.Shape, reference: tf.Shape): Replacement[] {
  const [fromHeight, fromWidth] = spatialShape(source, name);
  const [toHeight, toWidth] = spatialShape(reference, name);
  return [
    // [N, h, w, C] → [N, C, h, w] → widths [N, C, h, W] → [N, C, W, h] → heights [N, C, W, H] → [N, H, W, C]
    fixed(tf.layers.permute({ dims: [3, 1, 2], name: `${name}_channels_first` })),
    fixed(tf.layers.dense({ units: toWidth, useBias: false, trainable: false, name: `${name}_width` }), [alignCornersKernel(fromWidth, toWidth)]),
    fixed(tf.layers.permute({ dims: [1, 3, 2], name: `${name}_swap` })),
    fixed(tf.layers.dense({ units: toHeight, useBias: false, trainable: false, name: `${name}_height` }), [alignCornersKernel(fromHeight, toHeight)]),
    fixed(tf.layers.permute({ dims: [3, 2, 1], name })),
  ];
}

function maskActivationReplacement(name: string, kind: unknown, input: tf.Shape): Replacement[] {
  const [height, width, channels] = spatialShape(input, name);
  if (kind === 'spatial') {
    return [
      fixed(tf.layers.layerNormalization({ axis: [1, 2], epsilon: MASK_ACTIVATION_EPSILON, trainable: false, name: `${name}_standardise` }), [
        tf.ones([height, width]),
        tf.zeros([height, width]),
      ]),
      fixed(tf.layers.activation({ activation: 'sigmoid', name })),
    ];
  }
  if (kind === 'channel') {
    return [
      fixed(tf.layers.dense({ units: 2 * channels, useBias: false, trainable: false, name: `${name}_signed` }), [
        tf.tensor2d(identityBlocks(channels, 'side by side', -1), [channels, 2 * channels]),
      ]),
      fixed(tf.layers.layerNormalization({ axis: -1, epsilon: MASK_ACTIVATION_EPSILON / channels, trainable: false, name: `${name}_normalise` }), [
        tf.fill([2 * channels], 1 / Math.sqrt(channels)),
        tf.zeros([2 * channels]),
      ]),
      fixed(tf.layers.dense({ units: channels, useBias: false, trainable: false, name }), [
        tf.tensor2d(identityBlocks(channels, 'stacked'), [2 * channels, channels]),
      ]),
    ];
  }
  throw new Error(`${name}: unknown mask activation kind '${String(kind)}'`);
}

/** The shapes a layer was applied to (its one node's input tensors). */
function inputShapesOf(layer: tf.layers.Layer): tf.Shape[] {
  const node = (layer as unknown as { inboundNodes: { inputTensors: tf.SymbolicTensor[] }[] }).inboundNodes[0];
  return node ? node.inputTensors.map((tensor) => tensor.shape) : [];
}

/** The config entries of a chain of replacements fed by `inbound`, the last one named as the replaced layer. */
function chain(replacements: Replacement[], inbound: InboundEntry): LayerConfig[] {
  let previous = inbound;
  return replacements.map(({ layer }) => {
    const entry: LayerConfig = {
      className: layer.getClassName(),
      name: layer.name,
      config: layer.getConfig() as Record<string, unknown>,
      inboundNodes: [[previous]],
    };
    previous = [layer.name, 0, 0, {}];
    return entry;
  });
}

/**
 * A new model of stock layers with the same weights and outputs (within float rounding); the input
 * model is left untouched. The caller disposes the result.
 */
export function toStandardLayers(model: tf.LayersModel): tf.LayersModel {
  const plain = unfuseBatchNormRelu(model);
  try {
    const config = plain.getConfig() as unknown as ModelConfig;
    const fixedWeights = new Map<string, tf.Tensor[]>();
    const layers: LayerConfig[] = [];
    for (const entry of config.layers) {
      if (entry.inboundNodes.length > 1) throw new Error(`${entry.name}: a layer applied more than once cannot be exported`);
      const inputShapes = inputShapesOf(plain.getLayer(entry.name));
      let replacements: Replacement[] | null = null;
      if (entry.className === 'ResizeToReference') {
        const [source, reference] = inputShapes;
        if (!source || !reference) throw new Error(`${entry.name}: ResizeToReference needs two inputs`);
        replacements = resizeReplacement(entry.name, source, reference);
      } else if (entry.className === 'MaskActivation') {
        replacements = maskActivationReplacement(entry.name, entry.config.kind, inputShapes[0]!);
      }
      if (!replacements) {
        layers.push(entry);
        continue;
      }
      // The reference input of a resize only gives its size, now fixed in the kernels: drop it.
      layers.push(...chain(replacements, entry.inboundNodes[0]![0]!));
      for (const { layer, weights } of replacements) if (weights.length > 0) fixedWeights.set(layer.name, weights);
    }
    const left = layers.filter((entry) => (projectLayerClassNames as readonly string[]).includes(entry.className));
    if (left.length > 0) throw new Error(`No stock tfjs equivalent for layer ${left[0]!.name} (${left[0]!.className})`);

    const rewritten = tf.LayersModel.fromConfig(tf.LayersModel, { ...config, layers } as unknown as tf.serialization.ConfigDict) as tf.LayersModel;
    try {
      for (const layer of rewritten.layers) {
        const weights = fixedWeights.get(layer.name);
        if (weights) layer.setWeights(weights);
        else if (layer.weights.length > 0) layer.setWeights(plain.getLayer(layer.name).getWeights());
      }
    } catch (error) {
      rewritten.dispose();
      throw error;
    } finally {
      for (const weights of fixedWeights.values()) tf.dispose(weights);
    }
    return rewritten;
  } finally {
    if (plain !== model) plain.dispose();
  }
}
