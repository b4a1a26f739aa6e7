/**
 * The generic Residual Attention Network builder: a stem, stages of plain residual units and attention
 * modules, and a classifier head, all driven by a `NetworkSpec` (data, so each variant is one
 * registry row in variants.ts rather than a copied function).
 */
import * as tf from '@tensorflow/tfjs';
import { attentionModule, type AttentionUnits, type FusionKind } from './attentionModule.js';
import type { MaskActivationKind } from './layers/maskActivation.js';
import { bnRelu, conv, maxPool } from './primitives.js';
import { residualUnit } from './residualUnit.js';

export interface StemSpec {
  /** Output channels of the stem conv. */
  filters: number;
  /** Kernel of the stem conv: 7 (ImageNet) or 3 (CIFAR-style). */
  kernelSize: number;
  /** Stride of the stem conv. */
  strides: 1 | 2;
  /** Whether a 3×3 / 2 max-pool follows the stem's BN-ReLU (ImageNet). */
  maxPool: boolean;
}

export interface StageSpec {
  /** Output channels of every unit and module in the stage. */
  width: number;
  /** Stride of the stage's first unit (the one with the projection shortcut). */
  strides: 1 | 2;
  /** Plain residual units before the attention modules (the first one changes the width/stride). */
  unitsBefore: number;
  /** m: attention modules in the stage. */
  modules: number;
  /** d: mask max-pool steps of this stage's modules. */
  maskDepth: number;
  /** Plain residual units after the attention modules. */
  unitsAfter: number;
}

export interface NetworkSpec {
  stem: StemSpec;
  stages: StageSpec[];
  /** {p, t, r}, shared by every module. */
  units: AttentionUnits;
}

export interface BuildOptions {
  /** [height, width, channels] of one NHWC image; any size, any channel count. */
  inputShape: [number, number, number];
  /** Number of logits the classifier produces. */
  numClasses: number;
  /** Default 'arl': H = (1 + M) ⊙ T. */
  fusion?: FusionKind;
  /** Default 'mixed': a plain sigmoid. */
  maskActivation?: MaskActivationKind;
  /** The tf.LayersModel's name. */
  name?: string;
}

/** Layer names: `stem_conv` (+ `stem_conv_pad` when strided), `stem_bn`, `stem_relu`, `stem_pool`. */
function stem(x: tf.SymbolicTensor, spec: StemSpec): tf.SymbolicTensor {
  let h = conv(x, 'stem_conv', { filters: spec.filters, kernelSize: spec.kernelSize, strides: spec.strides });
  h = bnRelu(h, 'stem');
  return spec.maxPool ? maxPool(h, 'stem_pool') : h;
}

/**
 * Layer names under `stage<s>`: `_unit<i>` for the plain units, numbered through the stage (the units
 * after the modules continue the count), and `_attn<k>` for the modules.
 */
function stage(x: tf.SymbolicTensor, name: string, spec: StageSpec, options: Required<Pick<BuildOptions, 'fusion' | 'maskActivation'>>, units: AttentionUnits): tf.SymbolicTensor {
  let h = x;
  let unitIndex = 0;
  for (let i = 0; i < spec.unitsBefore; i++) {
    h = residualUnit(h, `${name}_unit${++unitIndex}`, { filters: spec.width, strides: i === 0 ? spec.strides : 1 });
  }
  for (let k = 1; k <= spec.modules; k++) {
    h = attentionModule(h, `${name}_attn${k}`, { filters: spec.width, maskDepth: spec.maskDepth, ...units, ...options });
  }
  for (let i = 0; i < spec.unitsAfter; i++) {
    h = residualUnit(h, `${name}_unit${++unitIndex}`, { filters: spec.width });
  }
  return h;
}

/**
 * Builds a Residual Attention Network (Wang et al., CVPR 2017, arXiv:1704.06904) from a spec.
 * The head is BN-ReLU, global average pooling and a Dense layer named `classifier` that outputs
 * LOGITS: there is no softmax in the model, so train with a from-logits cross-entropy
 * (`tf.losses.softmaxCrossEntropy`) and apply `tf.softmax` for probabilities.
 */
export function buildNetwork(spec: NetworkSpec, options: BuildOptions): tf.LayersModel {
  validate(options);
  const resolved = { fusion: options.fusion ?? 'arl', maskActivation: options.maskActivation ?? 'mixed' } as const;
  const input = tf.input({ shape: options.inputShape, name: 'image' });
  let h = stem(input, spec.stem);
  spec.stages.forEach((stageSpec, index) => {
    h = stage(h, `stage${index + 1}`, stageSpec, resolved, spec.units);
  });
  // Pre-activation networks end with BN-ReLU before pooling: nothing follows the last unit's add (§2.1).
  h = bnRelu(h, 'head');
  h = tf.layers.globalAveragePooling2d({ name: 'head_pool' }).apply(h) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: options.numClasses, name: 'classifier' }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: options.name ?? 'residual_attention_network' });
}

function validate(options: BuildOptions): void {
  const { inputShape, numClasses } = options;
  if (!Array.isArray(inputShape) || inputShape.length !== 3 || !inputShape.every((n) => Number.isInteger(n) && n > 0)) {
    throw new Error(`inputShape must be [height, width, channels] with positive whole numbers, got ${JSON.stringify(inputShape)}`);
  }
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new Error(`numClasses must be a whole number ≥ 1, got ${numClasses}`);
  }
}
