/**
 * A trained network as an ONNX model (opset 17): one graph input `image`, float32 NCHW
 * [N, channels, height, width] with a free batch, and one output `logits` [N, classes] (a model
 * ending in a feature map gives it as NCHW [N, C, H, W]). Each layer
 * becomes the ops its kind maps to in `onnxLayerExports` (layers.ts); a layer kind outside that table
 * stops the export with its name.
 */
import type * as tf from '@tensorflow/tfjs';
import { encodeModel, OnnxGraph, type FloatTensor } from './graph.js';
import { onnxLayerExports } from './layers.js';

export const ONNX_INPUT_NAME = 'image';
export const ONNX_OUTPUT_NAME = 'logits';

export interface OnnxExportOptions {
  /** Shown by model viewers; say what the input is. */
  docString?: string;
  /** metadata_props of the model (labels, preprocessing, provenance). */
  metadata?: Record<string, string>;
  producerVersion?: string;
}

interface LayerNode {
  inboundLayers: tf.layers.Layer[];
  inputTensors: tf.SymbolicTensor[];
}

function nodeOf(layer: tf.layers.Layer): LayerNode {
  const nodes = (layer as unknown as { inboundNodes: LayerNode[] }).inboundNodes;
  if (nodes.length !== 1) throw new Error(`${layer.name}: a layer applied ${nodes.length} times cannot be exported`);
  return nodes[0]!;
}

/** Every weight of the layer by its short name, read asynchronously (GPU backends allow no sync read). */
async function readWeights(layer: tf.layers.Layer): Promise<Map<string, FloatTensor>> {
  const weights = new Map<string, FloatTensor>();
  for (const variable of layer.weights) {
    const value = variable.read();
    const short = variable.originalName.slice(variable.originalName.lastIndexOf('/') + 1);
    weights.set(short, { values: Float32Array.from(await value.data()), shape: value.shape });
  }
  return weights;
}

export async function modelToOnnx(model: tf.LayersModel, options: OnnxExportOptions = {}): Promise<Uint8Array> {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new Error(`ONNX export takes a model with one input and one output, not ${model.inputs.length} and ${model.outputs.length}`);
  }
  const [, height, width, channels] = model.inputs[0]!.shape;
  if (height == null || width == null || channels == null) throw new Error('ONNX export needs a fixed input size');
  const outputShape = model.outputs[0]!.shape;
  if ((outputShape.length !== 2 && outputShape.length !== 4) || outputShape.slice(1).some((d) => d == null)) {
    throw new Error(`ONNX export takes a model whose output is [batch, classes] or an NHWC map, not [${outputShape.join(', ')}]`);
  }
  const onnxOutputShape = outputShape.length === 2 ? ['N', outputShape[1]!] : ['N', outputShape[3]!, outputShape[1]!, outputShape[2]!];

  const graph = new OnnxGraph();
  const valueNames = new Map<string, string>();
  const inputLayer = model.inputs[0]!.sourceLayer.name;
  const outputLayer = model.outputs[0]!.sourceLayer.name;
  valueNames.set(inputLayer, graph.reserve(ONNX_INPUT_NAME));
  graph.reserve(ONNX_OUTPUT_NAME);

  for (const layer of model.layers) {
    if (layer.name === inputLayer) continue;
    const className = layer.getClassName();
    const toOnnx = onnxLayerExports[className];
    if (!toOnnx) throw new Error(`Layer ${layer.name} is a ${className}, which the ONNX export does not know`);
    const node = nodeOf(layer);
    const inputs = node.inboundLayers.map((inbound) => {
      const name = valueNames.get(inbound.name);
      if (name == null) throw new Error(`${layer.name}: its input ${inbound.name} has not been exported`);
      return name;
    });
    const output = layer.name === outputLayer ? ONNX_OUTPUT_NAME : graph.reserve(layer.name);
    toOnnx({
      graph,
      name: layer.name,
      config: layer.getConfig() as Record<string, unknown>,
      inputs,
      inputShapes: node.inputTensors.map((tensor) => tensor.shape),
      output,
      weights: await readWeights(layer),
    });
    valueNames.set(layer.name, output);
  }

  return encodeModel(graph, {
    graphName: model.name,
    inputs: [{ name: ONNX_INPUT_NAME, shape: ['N', channels, height, width] }],
    outputs: [{ name: ONNX_OUTPUT_NAME, shape: onnxOutputShape }],
    ...options,
  });
}
