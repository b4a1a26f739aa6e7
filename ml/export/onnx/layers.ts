/**
 * The exporter's table: each layer kind of the network (tfjs class name) and the ONNX ops it becomes,
 * one small function per kind. The ONNX graph is channels-first (NCHW) throughout, the layout ONNX
 * operators define and converters to TensorRT, Core ML and TFLite expect; tfjs's channels-last
 * weights are transposed here, and spatial attributes (pads, sizes) come from the tfjs NHWC shapes.
 */
import type * as tf from '@tensorflow/tfjs';
import { MASK_ACTIVATION_EPSILON } from '../../model/layers/maskActivation.js';
import type { FloatTensor, OnnxGraph } from './graph.js';

export interface LayerExport {
  graph: OnnxGraph;
  /** The layer's own name, for error messages. */
  name: string;
  /** `layer.getConfig()`. */
  config: Record<string, unknown>;
  /** ONNX value names of the layer's inputs, in order (NCHW tensors). */
  inputs: string[];
  /** The tfjs (NHWC) shapes of those inputs, batch first. */
  inputShapes: tf.Shape[];
  /** The ONNX value name the layer's output must have. */
  output: string;
  /** The layer's weights by their short name (`kernel`, `gamma`, `moving_mean`, …). */
  weights: Map<string, FloatTensor>;
}

export type LayerToOnnx = (layer: LayerExport) => void;

function weight(layer: LayerExport, name: string): FloatTensor {
  const found = layer.weights.get(name);
  if (!found) throw new Error(`${layer.name}: no ${name} weight`);
  return found;
}

function unsupported(layer: LayerExport, what: string): Error {
  return new Error(`${layer.name}: ${what} has no ONNX export`);
}

/** Row-major transpose of a tensor's values (the tfjs → ONNX weight layouts). */
export function transpose(tensor: FloatTensor, perm: number[]): FloatTensor {
  const { values, shape } = tensor;
  const outShape = perm.map((p) => shape[p]!);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new Float32Array(values.length);
  const index = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let source = 0;
    for (let d = 0; d < perm.length; d++) source += index[d]! * strides[perm[d]!]!;
    out[o] = values[source]!;
    for (let d = perm.length - 1; d >= 0; d--) {
      if (++index[d]! < outShape[d]!) break;
      index[d] = 0;
    }
  }
  return { values: out, shape: outShape };
}

function spatial(shape: tf.Shape, layer: LayerExport): [number, number] {
  const [, height, width] = shape;
  if (shape.length !== 4 || height == null || width == null) throw unsupported(layer, `an input of shape [${shape.join(', ')}] (not NHWC with a fixed size)`);
  return [height, width];
}

function pair(value: unknown): [number, number] {
  return Array.isArray(value) ? [value[0] as number, (value[1] ?? value[0]) as number] : [value as number, value as number];
}

/**
 * ONNX pads [top, left, bottom, right] for tfjs's padding mode: 'same' is TensorFlow's SAME (output
 * ceil(in / stride), the odd pixel at the bottom/right), 'valid' none.
 */
function samePads(layer: LayerExport, kernel: [number, number], strides: [number, number], dilation: [number, number] = [1, 1]): number[] {
  const padding = layer.config.padding;
  if (padding === 'valid') return [0, 0, 0, 0];
  if (padding !== 'same') throw unsupported(layer, `padding '${String(padding)}'`);
  const sizes = spatial(layer.inputShapes[0]!, layer);
  const total = sizes.map((size, axis) => {
    const out = Math.ceil(size / strides[axis]!);
    return Math.max((out - 1) * strides[axis]! + (kernel[axis]! - 1) * dilation[axis]! + 1 - size, 0);
  });
  return [Math.floor(total[0]! / 2), Math.floor(total[1]! / 2), total[0]! - Math.floor(total[0]! / 2), total[1]! - Math.floor(total[1]! / 2)];
}

function requireChannelsLast(layer: LayerExport): void {
  const format = layer.config.dataFormat;
  if (format != null && format !== 'channelsLast') throw unsupported(layer, `data format ${String(format)}`);
}

const activations: Record<string, string> = { linear: 'Identity', relu: 'Relu', sigmoid: 'Sigmoid', tanh: 'Tanh' };

/** `activation` applied to `input`, written to `output`. */
function activation(layer: LayerExport, kind: unknown, input: string, output: string): void {
  const name = String(kind ?? 'linear');
  if (name === 'softmax') {
    if (layer.inputShapes[0]!.length !== 2) throw unsupported(layer, 'softmax over a feature map');
    layer.graph.node('Softmax', [input], [output], { axis: 1 });
    return;
  }
  const op = activations[name];
  if (!op) throw unsupported(layer, `activation '${name}'`);
  layer.graph.node(op, [input], [output]);
}

/** Input: NCHW; kernel HWIO → OIHW; an activation other than linear follows as its own node. */
const conv2d: LayerToOnnx = (layer) => {
  requireChannelsLast(layer);
  const kernel = weight(layer, 'kernel');
  const [kh, kw] = kernel.shape as [number, number];
  const strides = pair(layer.config.strides);
  const dilation = pair(layer.config.dilationRate ?? 1);
  const inputs = [layer.inputs[0]!, layer.graph.floats(`${layer.name}/kernel`, transpose(kernel, [3, 2, 0, 1]).values, [kernel.shape[3]!, kernel.shape[2]!, kh, kw])];
  if (layer.config.useBias) inputs.push(layer.graph.floats(`${layer.name}/bias`, weight(layer, 'bias').values, weight(layer, 'bias').shape));
  const linear = (layer.config.activation ?? 'linear') === 'linear';
  const convOut = linear ? layer.output : layer.graph.uniqueName(`${layer.name}/preactivation`);
  layer.graph.node('Conv', inputs, [convOut], {
    kernel_shape: [kh, kw],
    strides,
    dilations: dilation,
    pads: samePads(layer, [kh, kw], strides, dilation),
    group: 1,
  });
  if (!linear) activation(layer, layer.config.activation, convOut, layer.output);
};

/** Zero padding of H and W: ONNX Pad's pads are [begin of every axis…, end of every axis…]. */
const zeroPadding2d: LayerToOnnx = (layer) => {
  requireChannelsLast(layer);
  const [[top, bottom], [left, right]] = layer.config.padding as [[number, number], [number, number]];
  const pads = layer.graph.int64s(`${layer.name}/pads`, [0, 0, top, left, 0, 0, bottom, right]);
  layer.graph.node('Pad', [layer.inputs[0]!, pads], [layer.output], { mode: 'constant' });
};

/** Inference-mode batch norm over the channels (axis 1 in NCHW); absent γ / β are 1 / 0. */
function batchNormNode(layer: LayerExport, output: string): void {
  const axis = layer.config.axis;
  if (axis !== -1 && axis !== 3) throw unsupported(layer, `batch norm over axis ${String(axis)}`);
  const mean = weight(layer, 'moving_mean');
  const channels = mean.values.length;
  const gamma = layer.weights.get('gamma')?.values ?? new Float32Array(channels).fill(1);
  const beta = layer.weights.get('beta')?.values ?? new Float32Array(channels);
  layer.graph.node(
    'BatchNormalization',
    [
      layer.inputs[0]!,
      layer.graph.floats(`${layer.name}/gamma`, gamma, [channels]),
      layer.graph.floats(`${layer.name}/beta`, beta, [channels]),
      layer.graph.floats(`${layer.name}/moving_mean`, mean.values, [channels]),
      layer.graph.floats(`${layer.name}/moving_variance`, weight(layer, 'moving_variance').values, [channels]),
    ],
    [output],
    { epsilon: { float: layer.config.epsilon as number } },
  );
}

const batchNormalization: LayerToOnnx = (layer) => batchNormNode(layer, layer.output);

/** The project's fused training layer: BatchNormalization then Relu (the Activation after it is linear). */
const batchNormRelu: LayerToOnnx = (layer) => {
  const normalised = layer.graph.uniqueName(`${layer.name}/normalised`);
  batchNormNode(layer, normalised);
  layer.graph.node('Relu', [normalised], [layer.output]);
};

const reLU: LayerToOnnx = (layer) => {
  const maxValue = layer.config.maxValue;
  if (maxValue == null) {
    layer.graph.node('Relu', [layer.inputs[0]!], [layer.output]);
    return;
  }
  const low = layer.graph.floats(`${layer.name}/min`, [0], []);
  const high = layer.graph.floats(`${layer.name}/max`, [maxValue as number], []);
  layer.graph.node('Clip', [layer.inputs[0]!, low, high], [layer.output]);
};

const activationLayer: LayerToOnnx = (layer) => activation(layer, layer.config.activation, layer.inputs[0]!, layer.output);

/** n-ary elementwise: Sum for more than two inputs. */
const add: LayerToOnnx = (layer) => layer.graph.node(layer.inputs.length === 2 ? 'Add' : 'Sum', layer.inputs, [layer.output]);

const multiply: LayerToOnnx = (layer) => {
  let product = layer.inputs[0]!;
  layer.inputs.slice(1).forEach((input, i) => {
    const out = i === layer.inputs.length - 2 ? layer.output : layer.graph.uniqueName(`${layer.name}/product${i + 1}`);
    layer.graph.node('Mul', [product, input], [out]);
    product = out;
  });
};

/** tfjs's 'same' max-pool pads with cells that never win, as ONNX MaxPool's pads do. */
const maxPooling2d: LayerToOnnx = (layer) => {
  requireChannelsLast(layer);
  const kernel = pair(layer.config.poolSize);
  const strides = pair(layer.config.strides ?? layer.config.poolSize);
  layer.graph.node('MaxPool', [layer.inputs[0]!], [layer.output], { kernel_shape: kernel, strides, pads: samePads(layer, kernel, strides) });
};

/** [N, C, H, W] → [N, C, 1, 1] → [N, C], as tfjs's pooled features. */
const globalAveragePooling2d: LayerToOnnx = (layer) => {
  requireChannelsLast(layer);
  if (layer.config.keepDims) throw unsupported(layer, 'keepDims');
  const pooled = layer.graph.uniqueName(`${layer.name}/pooled`);
  layer.graph.node('GlobalAveragePool', [layer.inputs[0]!], [pooled]);
  layer.graph.node('Flatten', [pooled], [layer.output], { axis: 1 });
};

/** On [N, features] only (the classifier after pooling): Gemm with the [in, out] kernel as it is. */
const dense: LayerToOnnx = (layer) => {
  if (layer.inputShapes[0]!.length !== 2) throw unsupported(layer, 'a Dense layer on a feature map');
  const kernel = weight(layer, 'kernel');
  const units = kernel.shape[1]!;
  const bias = layer.config.useBias ? weight(layer, 'bias').values : new Float32Array(units);
  const linear = (layer.config.activation ?? 'linear') === 'linear';
  const gemmOut = linear ? layer.output : layer.graph.uniqueName(`${layer.name}/preactivation`);
  layer.graph.node('Gemm', [layer.inputs[0]!, layer.graph.floats(`${layer.name}/kernel`, kernel.values, kernel.shape), layer.graph.floats(`${layer.name}/bias`, bias, [units])], [gemmOut]);
  if (!linear) activation(layer, layer.config.activation, gemmOut, layer.output);
};

/**
 * Caffe's Interp (bilinear, corners aligned) to the reference's H×W: ONNX Resize with
 * coordinate_transformation_mode 'align_corners'. The batch and channel sizes come from the tensor
 * itself, so the batch stays free.
 */
const resizeToReference: LayerToOnnx = (layer) => {
  const [height, width] = spatial(layer.inputShapes[1]!, layer);
  const leading = layer.graph.uniqueName(`${layer.name}/batch_and_channels`);
  layer.graph.node('Shape', [layer.inputs[0]!], [leading], { end: 2 });
  const sizes = layer.graph.uniqueName(`${layer.name}/sizes`);
  layer.graph.node('Concat', [leading, layer.graph.int64s(`${layer.name}/height_width`, [height, width])], [sizes], { axis: 0 });
  layer.graph.node('Resize', [layer.inputs[0]!, '', '', sizes], [layer.output], { mode: 'linear', coordinate_transformation_mode: 'align_corners' });
};

/**
 * Paper f2 ('channel'): x / √(Σ_c x² + ε) over the channels (axis 1); f3 ('spatial'): each channel
 * standardised over H×W (InstanceNormalization, γ = 1, β = 0), then a sigmoid.
 */
const maskActivation: LayerToOnnx = (layer) => {
  const { graph, inputs, output, name } = layer;
  const x = inputs[0]!;
  const channels = layer.inputShapes[0]![3] as number;
  if (layer.config.kind === 'channel') {
    const squares = graph.uniqueName(`${name}/sum_of_squares`);
    graph.node('ReduceSumSquare', [x], [squares], { axes: [1], keepdims: 1 });
    const shifted = graph.uniqueName(`${name}/plus_epsilon`);
    graph.node('Add', [squares, graph.floats(`${name}/epsilon`, [MASK_ACTIVATION_EPSILON], [])], [shifted]);
    const norm = graph.uniqueName(`${name}/norm`);
    graph.node('Sqrt', [shifted], [norm]);
    graph.node('Div', [x, norm], [output]);
    return;
  }
  if (layer.config.kind === 'spatial') {
    const standardised = graph.uniqueName(`${name}/standardised`);
    graph.node(
      'InstanceNormalization',
      [x, graph.floats(`${name}/scale`, new Float32Array(channels).fill(1), [channels]), graph.floats(`${name}/bias`, new Float32Array(channels), [channels])],
      [standardised],
      { epsilon: { float: MASK_ACTIVATION_EPSILON } },
    );
    graph.node('Sigmoid', [standardised], [output]);
    return;
  }
  throw unsupported(layer, `mask activation '${String(layer.config.kind)}'`);
};

/** Every layer kind the networks are built from (and the fused training layer), by tfjs class name. */
export const onnxLayerExports: Record<string, LayerToOnnx> = {
  Conv2D: conv2d,
  ZeroPadding2D: zeroPadding2d,
  BatchNormalization: batchNormalization,
  BatchNormRelu: batchNormRelu,
  ReLU: reLU,
  Activation: activationLayer,
  Add: add,
  Multiply: multiply,
  MaxPooling2D: maxPooling2d,
  GlobalAveragePooling2D: globalAveragePooling2d,
  Dense: dense,
  ResizeToReference: resizeToReference,
  MaskActivation: maskActivation,
};
