/**
 * The inference graph of a trained network: the same function with less work per image.
 *
 * - A batch norm right after a convolution (its only consumer) folds into that convolution's weights and
 *   a bias: W' = W·s, b' = (b − μ)·s + β with s = γ/√(σ² + ε) per output channel. When a ReLU follows,
 *   it joins the convolution too, so the three run as one fused convolution (XNNPACK's on wasm).
 *   Inside a pre-activation residual unit that is the second and third BN-ReLU (after conv1, conv2).
 * - A batch norm + ReLU that follows anything else (a residual add) becomes one `ScaleShiftRelu` pass.
 * - Nothing for training stays: batch norms use their moving statistics, as inference always does.
 *
 * Layer names are kept (a folded BN and its ReLU become pass-through `linear` activations), so layers
 * looked up by name, the attention masks among them, are where they were.
 */
import * as tf from '@tensorflow/tfjs';
import '../layers/batchNormRelu.js';
import '../layers/scaleShiftRelu.js';

interface LayerConfig {
  className: string;
  name: string;
  config: Record<string, unknown>;
  inboundNodes: unknown[];
}

interface ModelConfig {
  layers: LayerConfig[];
  outputLayers: [string, number, number][];
}

function inboundNames(layer: LayerConfig): string[] {
  const names: string[] = [];
  for (const node of layer.inboundNodes as unknown[][]) {
    for (const entry of node as unknown[][]) names.push(entry[0] as string);
  }
  return names;
}

const isBatchNorm = (l: LayerConfig) => (l.className === 'BatchNormalization' || l.className === 'BatchNormRelu') && [-1, 3].includes(l.config.axis as number);
const isRelu = (l: LayerConfig) =>
  (l.className === 'ReLU' && l.config.maxValue == null) || (l.className === 'Activation' && l.config.activation === 'relu');
const isLinear = (l: LayerConfig) => l.className === 'Activation' && l.config.activation === 'linear';
const passThrough = (l: LayerConfig): void => {
  l.className = 'Activation';
  l.config = { name: l.config.name, trainable: false, dtype: l.config.dtype, activation: 'linear' };
};

export interface InferencePlan {
  /** conv → bn (→ relu): the BN folds into the conv. */
  folded: { conv: string; bn: string; relu: string | null }[];
  /** bn → relu after anything else: one ScaleShiftRelu. */
  scaleShift: { bn: string; relu: string | null }[];
}

/** What `buildInferenceModel` would do, from the model's topology alone. */
export function planInference(model: tf.LayersModel): InferencePlan {
  const config = model.getConfig() as unknown as ModelConfig;
  const byName = new Map(config.layers.map((l) => [l.name, l]));
  const consumers = new Map<string, LayerConfig[]>();
  for (const layer of config.layers) for (const name of inboundNames(layer)) consumers.set(name, [...(consumers.get(name) ?? []), layer]);
  const outputs = new Set(config.outputLayers.map((entry) => entry[0]));
  const plan: InferencePlan = { folded: [], scaleShift: [] };
  for (const bn of config.layers) {
    if (!isBatchNorm(bn) || bn.inboundNodes.length !== 1 || outputs.has(bn.name)) continue;
    const fusedRelu = bn.className === 'BatchNormRelu';
    const next = consumers.get(bn.name) ?? [];
    // A fused BatchNormRelu is followed by its ReLU's old place, a linear activation.
    const follower = next.length === 1 && inboundNames(next[0]!).length === 1 && (fusedRelu ? isLinear(next[0]!) : isRelu(next[0]!)) ? next[0]! : null;
    const relu = follower && !outputs.has(follower.name) ? follower.name : null;
    if (fusedRelu && !relu) continue;
    const [source] = inboundNames(bn);
    const conv = byName.get(source!);
    const convAlone = conv?.className === 'Conv2D' && (consumers.get(conv.name)?.length ?? 0) === 1 && conv.config.activation === 'linear' && !outputs.has(conv.name);
    if (convAlone) plan.folded.push({ conv: conv.name, bn: bn.name, relu });
    else if (relu) plan.scaleShift.push({ bn: bn.name, relu });
  }
  return plan;
}

/** Per-channel s = γ/√(σ² + ε) and t = β − μ·s of a batch-norm layer, as plain arrays. */
async function batchNormFactors(layer: tf.layers.Layer): Promise<{ scale: Float32Array; shift: Float32Array }> {
  const [gamma, beta, mean, variance] = (await Promise.all(layer.getWeights().map((w) => w.data()))) as Float32Array[];
  const epsilon = (layer.getConfig().epsilon as number | undefined) ?? 1e-3;
  const scale = new Float32Array(mean!.length);
  const shift = new Float32Array(mean!.length);
  for (let c = 0; c < scale.length; c++) {
    scale[c] = gamma![c]! / Math.sqrt(variance![c]! + epsilon);
    shift[c] = beta![c]! - mean![c]! * scale[c]!;
  }
  return { scale, shift };
}

/**
 * A new model computing `model`'s inference-mode function with batch norms folded away; `model` is left
 * untouched. Reads weights asynchronously (works on every backend).
 */
export async function buildInferenceModel(model: tf.LayersModel): Promise<tf.LayersModel> {
  const plan = planInference(model);
  const config = model.getConfig() as unknown as ModelConfig;
  const byName = new Map(config.layers.map((l) => [l.name, l]));
  for (const { conv, bn, relu } of plan.folded) {
    const layer = byName.get(conv)!;
    layer.config = { ...layer.config, useBias: true, activation: relu ? 'relu' : 'linear' };
    passThrough(byName.get(bn)!);
    if (relu) passThrough(byName.get(relu)!);
  }
  for (const { bn, relu } of plan.scaleShift) {
    const layer = byName.get(bn)!;
    layer.className = 'ScaleShiftRelu';
    layer.config = { name: layer.config.name, trainable: false, dtype: layer.config.dtype, kernelSize: [1, 1], strides: [1, 1], padding: 'valid', depthMultiplier: 1, useBias: true, activation: 'relu' };
    passThrough(byName.get(relu!)!);
  }
  const inference = tf.LayersModel.fromConfig(tf.LayersModel, config as unknown as tf.serialization.ConfigDict) as tf.LayersModel;

  const foldedInto = new Map(plan.folded.map((f) => [f.conv, f.bn]));
  const scaleShifts = new Set(plan.scaleShift.map((s) => s.bn));
  for (const target of inference.layers) {
    if (target.weights.length === 0) continue;
    const source = model.getLayer(target.name);
    const bn = foldedInto.get(target.name);
    if (bn) {
      const { scale, shift } = await batchNormFactors(model.getLayer(bn));
      const [kernel, bias] = source.getWeights();
      const w = (await kernel!.data()) as Float32Array;
      const b = bias ? ((await bias.data()) as Float32Array) : null;
      const out = scale.length;
      const folded = new Float32Array(w.length);
      for (let i = 0; i < w.length; i++) folded[i] = w[i]! * scale[i % out]!;
      const foldedBias = shift.map((t, c) => t + (b ? b[c]! * scale[c]! : 0));
      const values = [tf.tensor(folded, kernel!.shape), tf.tensor1d(foldedBias)];
      target.setWeights(values);
      tf.dispose(values);
    } else if (scaleShifts.has(target.name)) {
      const { scale, shift } = await batchNormFactors(source);
      const values = [tf.tensor4d(scale, [1, 1, scale.length, 1]), tf.tensor1d(shift)];
      target.setWeights(values);
      tf.dispose(values);
    } else {
      target.setWeights(source.getWeights());
    }
  }
  return inference;
}
